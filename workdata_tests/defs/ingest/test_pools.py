"""The writer pool exists, at the instance's default limit, before the first runs needing it are queued."""

from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.test_utils import instance_for_test

from workdata.defs.automation.sensors import inbox_sensor
from workdata.defs.build import build_definitions
from workdata.defs.ingest.pools import DUCKDB_POOL, ensure_writer_pool

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def configured_instance():
    """An instance with the concurrency settings of the repository's dagster.yaml."""
    concurrency = yaml.safe_load((REPO / "dagster.yaml").read_text())["concurrency"]
    with instance_for_test(overrides={"concurrency": concurrency}) as instance:
        yield instance


def _limit(instance: dg.DagsterInstance) -> int | None:
    storage = instance.event_log_storage
    if DUCKDB_POOL not in storage.get_concurrency_keys():
        return None
    return storage.get_concurrency_info(DUCKDB_POOL).slot_count


def test_the_pool_is_created_at_the_default_limit_once(configured_instance):
    assert _limit(configured_instance) is None  # Dagster itself would create it only while dequeuing
    ensure_writer_pool(configured_instance)
    ensure_writer_pool(configured_instance)
    assert _limit(configured_instance) == 1


def test_the_inbox_sensor_creates_it_before_requesting_runs(configured_instance, settings, demo):
    defs = build_definitions(settings)
    context = dg.build_sensor_context(
        instance=configured_instance,
        instance_ref=configured_instance.get_ref(),
        definitions=defs,
        resources=defs.resources,
    )
    assert inbox_sensor(context).run_requests
    assert _limit(configured_instance) == 1
