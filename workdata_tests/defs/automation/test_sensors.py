"""The inbox sensor on a real instance: partitions, few runs, idempotent ticks."""

import json

import dagster as dg
import pytest

from workdata.core.session import SESSION_TAG, is_session_id
from workdata.defs.automation.sensors import inbox_sensor
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata_tests.pg import BACKENDS

# The same end-to-end runs with DuckDB + SQLite and with the PostgreSQL store + instance storage.
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def tick(defs, instance, cursor=None):
    context = dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),
        definitions=defs,
        cursor=cursor,
        resources=defs.resources,
    )
    return inbox_sensor(context)


def apply(defs, instance, result):
    """Do what the daemon does with a SensorResult: add partitions, then launch the runs."""
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return [
        defs.resolve_job_def(r.job_name).execute_in_process(
            instance=instance, tags=r.tags, raise_on_error=False
        )
        for r in result.run_requests
    ]


def test_backlog_goes_in_one_run_per_domain_then_the_sensor_rests(defs, instance, demo, store, settings):
    result = tick(defs, instance)
    assert len(result.run_requests) == 2
    assert {r.job_name for r in result.run_requests} == {
        "ingest_annuity_performance",
        "ingest_annuity_income",
    }
    sessions = {r.tags[SESSION_TAG] for r in result.run_requests}
    assert len(sessions) == 1 and is_session_id(sessions.pop())
    added = {r.partitions_def_name: set(r.partition_keys) for r in result.dynamic_partitions_requests}
    for domain in ("annuity_performance", "annuity_income"):
        assert added[f"{domain}_files"] == {f.key for f in demo if f.domain == domain}

    # A second tick before the runs finish requests nothing twice.
    again = tick(defs, instance, result.cursor)
    assert again.run_requests in (None, [])

    apply(defs, instance, result)
    for f in demo:
        assert store.get_state(f.domain, f.key)["status"] == f.status, (
            f.key,
            store.get_state(f.domain, f.key),
        )

    rested = tick(defs, instance, again.cursor)
    assert not rested.run_requests
    assert "No new or changed files" in rested.skip_reason.skip_message
    # Once the ledger has caught up, the cursor is a line, whatever the inbox holds; hashes are cached
    # in a file beside the ledger.
    assert json.loads(rested.cursor) == {"requested": {}}
    assert len(json.loads(settings.hash_cache_path.read_text())) == len(demo)


def test_changed_and_new_files_get_runs_for_exactly_those(defs, instance, demo, store, settings):
    first = tick(defs, instance)
    apply(defs, instance, first)
    inbox = settings.inbox_dir / "annuity_income"
    lines = (inbox / "income_2024-07.csv").read_text().splitlines(keepends=True)
    (inbox / "income_2024-07.csv").write_text("".join(lines[:11]))
    # Another month's rows: the same rows under another name would be a copy, skipped.
    (inbox / "late.csv").write_text((inbox / "income_2024-07.csv").read_text().replace("2024-07", "2023-12"))
    second = tick(defs, instance, first.cursor)
    keys = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in second.run_requests
    ]
    assert sorted(keys) == [("income_2024-07.csv", "income_2024-07.csv"), ("late.csv", "late.csv")]
    assert [list(r.partition_keys) for r in second.dynamic_partitions_requests] == [["late.csv"]]
    existing = instance.get_dynamic_partitions(FILE_PARTITIONS["annuity_income"].name)
    assert "late.csv" not in existing
    runs = apply(defs, instance, second)
    assert all(r.success for r in runs)
    assert store.get_state("annuity_income", "late.csv")["status"] == "SUCCESS"


def test_a_file_still_being_written_waits_for_a_later_tick(instance, settings):
    import os
    import time

    from workdata.defs.build import build_definitions

    patient = build_definitions(settings.model_copy(update={"settle_seconds": 60}))
    path = settings.inbox_dir / "annuity_income" / "arriving.csv"
    path.parent.mkdir(parents=True)
    path.write_text("report_month,plan_code\n2024-11,P0001\n")
    assert not tick(patient, instance).run_requests
    (settings.inbox_dir / "annuity_income" / "arriving.csv.part").write_text("half a file")
    old = time.time() - 120
    os.utime(path, (old, old))
    result = tick(patient, instance)
    assert [r.tags["dagster/asset_partition_range_start"] for r in result.run_requests] == ["arriving.csv"]
