"""Retry only what failed, on a real instance: backoff, cap, dead letter, circuits, release, change."""

from pathlib import Path

import dagster as dg
import pytest

from workdata.core.operations.recovery import release
from workdata.core.retry_schedule import RetrySchedule
from workdata.core.storage.circuit import circuit_breakers
from workdata.defs.automation.retry_sensor import ATTEMPT_TAG, RETRY_TAG
from workdata.defs.build import build_definitions
from workdata.demo.files import make_rows, write_csv
from workdata_tests.defs.retry_helpers import DOMAIN, KEY, first_run, launch, restore_references, state, tick
from workdata_tests.pg import BACKENDS

# The same end-to-end runs with DuckDB + SQLite and with the PostgreSQL store + instance storage.
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def test_transient_reference_failure_is_retried_until_it_loads(world, instance):
    settings, refs = world
    defs = build_definitions(settings)
    first_run(defs, instance)
    s = state(settings)
    assert (s["status"], s["error_category"], s["retryable"], s["attempts"]) == (
        "FAILED",
        "connectivity",
        True,
        1,
    )
    assert s["next_retry_at"] is not None
    assert "The reference table" in s["user_message"] and "will be retried" in s["user_message"]

    requests = tick(defs, instance)
    assert [r.tags["dagster/asset_partition_range_start"] for r in requests] == [KEY]
    assert requests[0].tags[RETRY_TAG] == "true" and requests[0].tags[ATTEMPT_TAG] == "2"
    assert [r.run_key for r in tick(defs, instance)] == [
        r.run_key for r in requests
    ]  # same tick twice: same keys
    launch(defs, instance, requests)
    assert state(settings)["attempts"] == 2

    restore_references(refs)
    third = tick(defs, instance)
    assert third[0].run_key != requests[0].run_key and third[0].tags[ATTEMPT_TAG] == "3"
    launch(defs, instance, third)
    s = state(settings)
    assert (s["status"], s["rows_loaded"], s["attempts"]) == ("SUCCESS", 30, 3)
    assert isinstance(tick(defs, instance), dg.SkipReason)


def test_attempts_never_exceed_the_cap_then_dead_letter_and_quarantine(world, instance):
    settings, _ = world
    defs = build_definitions(settings)
    first_run(defs, instance)
    for _ in range(5):
        requests = tick(defs, instance)
        if isinstance(requests, dg.SkipReason):
            break
        launch(defs, instance, requests)
    s = state(settings)
    assert (s["status"], s["attempts"]) == ("DEAD_LETTER", 3)
    quarantined = Path(s["quarantine_path"])
    assert quarantined.is_file() and quarantined.is_relative_to(settings.quarantine_dir / DOMAIN)
    assert '"attempts": 3' in quarantined.with_name(quarantined.name + ".json").read_text()
    assert "workdata release" in s["user_message"]
    assert isinstance(tick(defs, instance), dg.SkipReason)

    # Released, it is new again for the inbox (PENDING); until then the same bytes are skipped.
    from workdata.app import open_store

    store = open_store(settings)
    assert (DOMAIN, KEY) in store.processed_hashes()
    assert release(store, DOMAIN, KEY)
    assert state(settings)["status"] == "PENDING" and (DOMAIN, KEY) not in store.processed_hashes()


def test_a_permanently_bad_file_is_never_retried(world, instance):
    settings, _ = world
    (settings.inbox_dir / DOMAIN / "empty.csv").write_bytes(b"")
    restore_references(world[1])
    defs = build_definitions(settings)
    first_run(defs, instance, ("empty.csv",))
    s = state(settings, "empty.csv")
    assert (s["status"], s["retryable"], s["next_retry_at"]) == ("FAILED", False, None)
    assert isinstance(tick(defs, instance), dg.SkipReason)


def test_domain_marked_irreparable_dead_letters_at_once(world, instance):
    from workdata.core.policy import DomainPolicy

    settings, refs = world
    restore_references(refs)
    (settings.inbox_dir / DOMAIN / "empty.csv").write_bytes(b"")
    strict = settings.model_copy(
        update={"policies": {DOMAIN: DomainPolicy(dead_letter_categories=("data_malformed",))}}
    )
    first_run(build_definitions(strict), instance, ("empty.csv",))
    s = state(settings, "empty.csv")
    assert s["status"] == "DEAD_LETTER" and Path(s["quarantine_path"]).exists()


def test_an_open_circuit_launches_nothing(world, instance):
    settings, _ = world
    tight = settings.model_copy(update={"circuit_threshold": 1})
    defs = build_definitions(tight)
    first_run(defs, instance)
    circuits = circuit_breakers(tight).states()
    opened = [dep for dep, c in circuits.items() if c.state == "open"]
    assert opened and opened[0].startswith("reference:")
    skip = tick(defs, instance)
    assert isinstance(skip, dg.SkipReason) and "held by open circuits" in skip.skip_message


def test_changed_content_comes_back_on_its_own(world, instance):
    from workdata.defs.automation.sensors import inbox_sensor

    settings, refs = world
    tight = settings.model_copy(update={"retry": RetrySchedule(max_attempts=1, base_seconds=0)})
    defs = build_definitions(tight)
    first_run(defs, instance)
    assert state(settings)["status"] == "DEAD_LETTER"
    restore_references(refs)
    write_csv(settings.inbox_dir / DOMAIN / KEY, make_rows(DOMAIN, 5, "2025-02", 12))
    context = dg.build_sensor_context(
        instance=instance, instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources
    )
    result = inbox_sensor(context)
    assert [r.tags["dagster/asset_partition_range_start"] for r in result.run_requests] == [KEY]
    launch(defs, instance, result.run_requests)
    assert (state(settings)["status"], state(settings)["rows_loaded"]) == ("SUCCESS", 12)
