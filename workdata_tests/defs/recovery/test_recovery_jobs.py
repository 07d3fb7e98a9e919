"""The Launchpad's recovery jobs, run on a real instance against a real ledger."""

from datetime import timedelta

import dagster as dg
import pytest

from workdata.core.operations.maintenance import prune
from workdata.core.retry_schedule import RetrySchedule
from workdata.core.session import utc_now
from workdata.core.storage.circuit import circuit_breakers
from workdata.defs.automation.retry_sensor import retry_sensor
from workdata.defs.build import build_definitions
from workdata_tests.defs.retry_helpers import DOMAIN, KEY, first_run, launch, restore_references, state, tick
from workdata_tests.pg import BACKENDS

# The same end-to-end runs with DuckDB + SQLite and with the PostgreSQL store + instance storage.
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def run_job(defs, instance, name, config=None):
    return defs.resolve_job_def(name).execute_in_process(
        instance=instance, run_config={"ops": config} if config else None, raise_on_error=False
    )


def test_retry_job_makes_a_backed_off_file_due_now(world, instance):
    settings, _ = world
    slow = settings.model_copy(update={"retry": RetrySchedule(base_seconds=10_000, cap_seconds=10_000)})
    defs = build_definitions(slow)
    first_run(defs, instance)
    context = dg.build_sensor_context(
        instance=instance, instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources
    )
    due_at = state(slow)["next_retry_at"]
    assert isinstance(retry_sensor(context), dg.SkipReason) or due_at <= utc_now()
    result = run_job(
        defs,
        instance,
        "retry_failed_files",
        {"make_failed_files_due": {"config": {"domain": DOMAIN, "file": KEY}}},
    )
    assert result.success
    assert [r.tags["dagster/asset_partition_range_start"] for r in retry_sensor(context)] == [KEY]


def test_release_and_forget_jobs(world, instance):
    settings, _ = world
    once = settings.model_copy(update={"retry": RetrySchedule(max_attempts=1, base_seconds=0)})
    defs = build_definitions(once)
    first_run(defs, instance)
    assert state(once)["status"] == "DEAD_LETTER"
    refused = run_job(defs, instance, "forget_ledger_entries", {"clear_ledger": {"config": {}}})
    assert not refused.success and state(once) is not None
    released = run_job(
        defs, instance, "release_file", {"release_dead_letter": {"config": {"domain": DOMAIN, "file": KEY}}}
    )
    assert released.success and state(once)["status"] == "PENDING"
    again = run_job(
        defs, instance, "release_file", {"release_dead_letter": {"config": {"domain": DOMAIN, "file": KEY}}}
    )
    assert not again.success
    forgot = run_job(
        defs,
        instance,
        "forget_ledger_entries",
        {"clear_ledger": {"config": {"statuses": ["PENDING"], "confirm": True}}},
    )
    assert forgot.success and state(once) is None


def test_verify_job_fails_listing_violations(world, instance):
    settings, _ = world
    defs = build_definitions(settings)
    first_run(defs, instance)
    assert run_job(defs, instance, "verify_ledger").success
    from workdata.app import open_store

    with open_store(settings).connect() as conn:
        conn.execute("UPDATE file_state SET attempts = 99")
    result = run_job(defs, instance, "verify_ledger")
    assert not result.success
    failure = result.failure_data_for_node("verify_invariants").user_failure_data
    assert "breaks the retry cap" in failure.metadata["violations"].value


def test_maintenance_prunes_history_and_failure_counts_of_recovered_files(world, instance):
    from workdata.app import open_store

    settings, refs = world
    store = open_store(settings)
    defs = build_definitions(settings)
    first_run(defs, instance)  # fails: references missing
    restore_references(refs)
    launch(defs, instance, tick(defs, instance))
    assert state(settings)["status"] == "SUCCESS"
    counts = prune(store, 90, utc_now())
    assert counts["failure_counts_cleared"] == 1 and counts["attempts_pruned"] == 0
    assert prune(store, 0, utc_now() + timedelta(days=1))["attempts_pruned"] >= 1
    assert run_job(defs, instance, "maintenance").success


def test_retry_job_probes_an_open_circuit_at_once(world, instance):
    """'Due now' means now: the job ends the cool-down of the circuits its files need, so the retry
    sensor launches them on its next tick and the first one probes."""
    from workdata.core.storage.circuit import OPEN, Circuit

    settings, refs = world
    defs = build_definitions(settings)
    first_run(defs, instance)
    assert state(settings)["status"] == "FAILED"
    until = (utc_now() + timedelta(minutes=30)).isoformat()
    circuit_breakers(settings)._write({"reference:plans": Circuit(state=OPEN, failures=3, retry_at=until)})
    held = tick(defs, instance)
    assert isinstance(held, dg.SkipReason) and "held by open circuits" in held.skip_message
    restore_references(refs)
    result = run_job(
        defs, instance, "retry_failed_files", {"make_failed_files_due": {"config": {"domain": DOMAIN}}}
    )
    assert result.success
    requests = tick(defs, instance)
    assert [r.tags["dagster/asset_partition_range_start"] for r in requests] == [KEY]
    launch(defs, instance, requests)
    assert state(settings)["status"] == "SUCCESS"
    assert circuit_breakers(settings).states()["reference:plans"].state == "closed"


def test_launchpad_choices_and_jobs_that_match_nothing_say_what_is_known(world, instance):
    """Domains, categories, statuses and error types are choices; a job matching nothing fails saying what
    exists; retrying everything takes an explicit all: true."""
    settings, _ = world
    defs = build_definitions(settings)
    first_run(defs, instance)  # KEY fails: its reference folder is missing
    retry_fields = defs.resolve_job_def("retry_failed_files").get_config_schema_snapshot()
    assert any("annuity_income" in str(t) for t in retry_fields.all_config_snaps_by_key.values())
    bare = run_job(defs, instance, "retry_failed_files", {"make_failed_files_due": {"config": {}}})
    assert not bare.success and "set all: true" in _failure(bare)
    typo = run_job(
        defs,
        instance,
        "retry_failed_files",
        {"make_failed_files_due": {"config": {"domain": DOMAIN, "file": "no_such.csv"}}},
    )
    assert not typo.success and f"FAILED files of {DOMAIN}: {DOMAIN}/{KEY}" in _failure(typo)
    with pytest.raises(dg.DagsterInvalidConfigError, match="not in enum type DomainName"):
        run_job(defs, instance, "retry_failed_files", {"make_failed_files_due": {"config": {"domain": "x"}}})
    released = run_job(
        defs,
        instance,
        "release_file",
        {"release_dead_letter": {"config": {"domain": DOMAIN, "file": "x.csv"}}},
    )
    assert not released.success and f"{DOMAIN} has no dead letters" in _failure(released)
    everything = run_job(
        defs, instance, "retry_failed_files", {"make_failed_files_due": {"config": {"all": True}}}
    )
    assert everything.success


def _failure(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failures[0].event_specific_data.error.message


def test_the_launchpad_of_a_recovery_job_opens_without_resource_config(world):
    """Its resource is fixed by the location's settings: the default config holds only the op's choices."""
    from dagster._core.snap import JobSnap
    from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap

    settings, _ = world
    defs = build_definitions(settings)
    for name in ("retry_failed_files", "release_file", "forget_ledger_entries", "replay_rows"):
        snap = JobSnap.from_job_def(defs.resolve_job_def(name))
        schema = snap.config_schema_snapshot
        root = schema.get_config_snap(snap.mode_def_snaps[0].root_config_key)
        assert "resources" not in default_values_yaml_from_type_snap(schema, root), name
