"""Helpers of the retry and recovery tests: a world whose reference source starts out missing."""

import shutil
from importlib import resources
from pathlib import Path

import dagster as dg
import pytest

from workdata.core.inbox.planning import RunPlan
from workdata.core.retry_schedule import RetrySchedule
from workdata.core.settings import WorkdataSettings
from workdata.defs.automation.retry_sensor import retry_sensor
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.demo.files import make_rows, write_csv

DOMAIN = "annuity_income"
KEY = "income_2025-02.csv"
SESSION = "etl_20241130_101500_abc123"


@pytest.fixture
def world(tmp_path, store_url):
    """Settings with an external reference folder that starts out missing and a 0 s backoff."""
    refs = tmp_path / "refs"
    settings = WorkdataSettings(
        home=tmp_path / "wd",
        logs_dir=tmp_path / "logs",
        reference_dir=refs,
        retry=RetrySchedule(max_attempts=3, base_seconds=0),
        settle_seconds=0,
        store_url=store_url,
    )
    write_csv(settings.inbox_dir / DOMAIN / KEY, make_rows(DOMAIN, 4, "2025-02", 30))
    return settings, refs


def restore_references(refs: Path) -> None:
    refs.mkdir(exist_ok=True)
    for name in ("plans", "companies"):
        source = resources.files("workdata.domains") / "reference" / f"{name}.csv"
        shutil.copyfile(str(source), refs / f"{name}.csv")


def first_run(defs, instance, keys=(KEY,)):
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, list(keys))
    plan = RunPlan(DOMAIN, tuple(keys), tuple("-" for _ in keys))
    return defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
        instance=instance, tags=run_tags(plan, SESSION), raise_on_error=False
    )


def tick(defs, instance):
    context = dg.build_sensor_context(
        instance=instance, instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources
    )
    return retry_sensor(context)


def launch(defs, instance, requests):
    return [
        defs.resolve_job_def(r.job_name).execute_in_process(
            instance=instance, tags=r.tags, raise_on_error=False
        )
        for r in requests
    ]


def state(settings, key=KEY):
    from workdata.app import open_store

    return open_store(settings).get_state(DOMAIN, key)
