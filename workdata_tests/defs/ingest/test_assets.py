"""Ranged runs of the real ingest jobs on a real instance: Dagster's partition status tells the truth."""

import dagster as dg
import pytest

from workdata.core.inbox.planning import RunPlan
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.records import FileStatus
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata_tests.pg import BACKENDS

# The same end-to-end runs with DuckDB + SQLite and with the PostgreSQL store + instance storage.
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

SESSION = "etl_20241130_101500_abc123"
DOMAIN = "annuity_performance"


def run_domain(defs, instance, keys, session=SESSION):
    plan = RunPlan(DOMAIN, tuple(keys), tuple("-" for _ in keys))
    return defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
        instance=instance, tags=run_tags(plan, session), raise_on_error=False
    )


def statuses(instance, keys):
    return instance.get_status_by_partition(dg.AssetKey(DOMAIN), keys, FILE_PARTITIONS[DOMAIN])


def test_one_run_loads_many_files_and_marks_failed_ones_failed(defs, instance, demo, store, settings):
    files = [f for f in demo if f.domain == DOMAIN]
    keys = [f.key for f in files]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    result = run_domain(defs, instance, keys)
    assert not result.success
    failure = result.failure_data_for_node(DOMAIN).user_failure_data
    assert "5 file(s) failed" in failure.description
    assert "broken/perf_not_csv.csv" in failure.metadata["failed_files"].value

    expected = {
        f.key: dg.AssetPartitionStatus.FAILED
        if f.status == FileStatus.FAILED
        else dg.AssetPartitionStatus.MATERIALIZED
        for f in files
    }
    assert statuses(instance, keys) == expected
    for f in files:
        assert store.get_state(DOMAIN, f.key)["status"] == f.status
    assert reconciliation_violations(store) == []

    dirty = next(f for f in files if f.key.endswith("dirty.csv"))
    event = instance.get_latest_materialization_event(dg.AssetKey(DOMAIN))
    assert event is not None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(DOMAIN), asset_partitions=[dirty.key]), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata
    assert metadata["rows_failed"].value == len({d.row_index for d in dirty.defects})
    assert metadata["rows_loaded"].value + metadata["rows_failed"].value == dirty.rows
    assert "| reason | rows |" in metadata["top_failure_reasons"].value
    assert metadata["failure_log"].value == str(settings.failure_log_path(SESSION))


def test_rerun_skips_loaded_files_and_keeps_statuses(defs, instance, demo, store):
    keys = [f.key for f in demo if f.domain == DOMAIN]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    run_domain(defs, instance, keys)
    before = statuses(instance, keys)
    later = "etl_20241201_000000_ffffff"
    run_domain(defs, instance, keys, later)
    assert statuses(instance, keys) == before
    attempts = store.attempts(later)
    assert set(attempts.loc[attempts["status"] != "FAILED", "status"]) == {"SKIPPED"}
    assert reconciliation_violations(store) == []


def test_untagged_launch_gets_a_session_of_its_own(defs, instance, demo, store):
    key = "perf_2024-07.csv"
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, [key])
    result = defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(instance=instance, partition_key=key)
    assert result.success
    session = store.get_state(DOMAIN, key)["session_id"]
    assert session.startswith("etl_") and session.endswith(result.run_id.replace("-", "")[:6])


def check_evaluations(result):
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_checks_warn_on_bad_row_ratio_and_confirm_reconciliation(defs, instance, demo):
    keys = ["perf_2024-07.csv", "perf_2024-10_dirty.csv"]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    checks = check_evaluations(run_domain(defs, instance, keys))
    ratio = checks["failed_row_ratio"]
    assert not ratio.passed and ratio.severity == dg.AssetCheckSeverity.WARN
    assert "perf_2024-10_dirty.csv" in ratio.metadata["files_above_warn"].value
    assert checks["reconciliation"].passed
    assert checks["reconciliation"].metadata["files_checked"].value == 2


def test_policy_from_resource_config_rejects_files_above_the_max(settings, instance, demo, store):
    from workdata.core.policy import DomainPolicy
    from workdata.defs.build import build_definitions

    strict = settings.model_copy(update={"policies": {DOMAIN: DomainPolicy(max_bad_row_ratio=0.01)}})
    defs = build_definitions(strict)
    key = "perf_2024-10_dirty.csv"
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, [key])
    result = run_domain(defs, instance, [key])
    assert statuses(instance, [key]) == {key: dg.AssetPartitionStatus.FAILED}
    assert check_evaluations(result)["failed_row_ratio"].severity == dg.AssetCheckSeverity.ERROR
    assert "above this domain's limit of 1.0%" in store.get_state(DOMAIN, key)["user_message"]
    assert reconciliation_violations(store) == []


def test_clean_run_passes_both_checks(defs, instance, demo):
    keys = ["perf_2024-07.csv", "perf_2024-08.jsonl"]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    result = run_domain(defs, instance, keys)
    assert result.success
    assert all(e.passed for e in check_evaluations(result).values())


def test_business_files_report_sheets_dropped_rows_and_encoding_on_their_partitions(
    defs, instance, demo, store
):
    income = "annuity_income"
    keys = ["income_2025-04_monthly.xlsx", "income_2025-06_small.csv", "income_2025-07_gbk.csv"]
    instance.add_dynamic_partitions(FILE_PARTITIONS[income].name, keys)
    plan = RunPlan(income, tuple(keys), tuple("-" for _ in keys))
    result = defs.resolve_job_def(job_name(income)).execute_in_process(
        instance=instance, tags=run_tags(plan, SESSION), raise_on_error=False
    )
    assert result.success

    def metadata(key):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(income), asset_partitions=[key]), limit=1
        ).records
        return {name: value.value for name, value in records[0].asset_materialization.metadata.items()}

    book, small, gbk = (metadata(key) for key in keys)
    assert (book["status"], book["rows_loaded"], book["rows_dropped"]) == ("SUCCESS", 50, 2)
    assert book["sheets"] == "2025年4月, 2025年5月"
    assert "说明: not read, its header names none of the domain's columns" in book["sheets_skipped"]
    assert (small["status"], small["rows_failed"], small["rows_dropped"]) == ("PARTIAL", 1, 1)
    assert small["failed_ratio"] == 0.25  # 1 bad row of the 4 judged; the totals row is not data
    assert (gbk["encoding"], gbk["rows_dropped"]) == ("gb18030", 3)
    assert reconciliation_violations(store) == []
