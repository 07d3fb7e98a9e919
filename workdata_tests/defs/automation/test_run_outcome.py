"""The real run-outcome sensor on a real instance: every finished run gets an honest outcome."""

import json

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from workdata.core.inbox.planning import RunPlan
from workdata.core.storage.ledger_reads import latest_run_summaries
from workdata.defs.automation.run_outcome import OUTCOME_TAG
from workdata.defs.automation.sensors import run_outcome_sensor
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata_tests.pg import BACKENDS

# The same end-to-end runs with DuckDB + SQLite and with the PostgreSQL store + instance storage.
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

DOMAIN = "annuity_income"
SESSION = "etl_20241130_101500_abc123"


def run_files(defs, instance, keys):
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    plan = RunPlan(DOMAIN, tuple(keys), tuple("-" for _ in keys))
    result = defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
        instance=instance, tags=run_tags(plan, SESSION), raise_on_error=False
    )
    return instance.get_run_by_id(result.run_id)


def evaluate_outcome_sensor(defs, instance, run):
    """One tick of the real run-outcome sensor, its cursor before every run of the test."""
    context = dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),
        definitions=defs,
        cursor="0",
        resources=defs.resources,
    )
    result = run_outcome_sensor(context)
    assert run.run_id[:8] in result.skip_reason.skip_message
    return instance.get_run_by_id(run.run_id)


def summary_of(store, run_id):
    summaries = latest_run_summaries(store)
    return summaries[summaries["run_id"] == run_id].iloc[0]


@pytest.mark.parametrize(
    ("keys", "outcome", "counts"),
    [
        (["income_2024-07.csv", "income_2024-08.jsonl"], "SUCCESS", (2, 0, 0)),
        (["income_2024-07.csv", "income_2024-10_dirty.csv", "broken/income_empty.csv"], "PARTIAL", (1, 1, 1)),
        (["broken/income_empty.csv", "broken/income_not_csv.csv"], "FAILED", (0, 0, 2)),
    ],
)
def test_outcome_of_success_mixed_and_failed_runs(defs, instance, demo, store, keys, outcome, counts):
    run = evaluate_outcome_sensor(defs, instance, run_files(defs, instance, keys))
    assert run.tags[OUTCOME_TAG] == outcome
    row = summary_of(store, run.run_id)
    assert (row["status"], row["files_success"], row["files_partial"], row["files_failed"]) == (
        outcome,
        *counts,
    )
    assert row["session_id"] == SESSION
    assert len(json.loads(row["top_errors"])) == counts[2]
    reports = [
        e.dagster_event.engine_event_data.metadata["report"].value
        for e in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if "report" in e.dagster_event.engine_event_data.metadata
    ]
    assert reports and f"**Outcome: {outcome}**" in reports[-1]


def test_a_run_that_died_before_any_file_is_failed_with_every_file_unreached(defs, instance, demo, store):
    keys = ["income_2024-07.csv", "income_2024-08.jsonl"]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    job = defs.resolve_job_def(job_name(DOMAIN))
    plan = RunPlan(DOMAIN, tuple(keys), ("-", "-"))
    run = instance.create_run_for_job(job, tags=run_tags(plan, SESSION))
    instance.report_run_failed(run)  # what run monitoring records when a run's process disappears
    run = evaluate_outcome_sensor(defs, instance, instance.get_run_by_id(run.run_id))
    assert run.tags[OUTCOME_TAG] == "FAILED"
    row = summary_of(store, run.run_id)
    assert (row["files_failed"], row["retryable_failed"]) == (2, 2)
    assert "stopped before this file" in json.loads(row["top_errors"])[0]["message"]


def test_a_ui_reexecution_of_failed_partitions_gets_an_honest_outcome(defs, instance, store, settings):
    """'Materialize… → Failed partitions' runs as the asset job: it is summarised, tagged and reported like
    an ingest run, and spends no attempt on a file whose same content already failed for good."""
    from dagster._core.storage.tags import PARTITION_NAME_TAG

    from workdata.defs.ingest.jobs import domain_of_run
    from workdata.demo.inbox import write_demo

    write_demo(settings.inbox_dir, big_rows=500)
    first = evaluate_outcome_sensor(defs, instance, run_files(defs, instance, ["broken/income_empty.csv"]))
    assert first.tags[OUTCOME_TAG] == "FAILED"
    before = store.get_state(DOMAIN, "broken/income_empty.csv")

    asset_job = defs.resolve_implicit_global_asset_job_def()
    result = asset_job.execute_in_process(
        instance=instance,
        partition_key="broken/income_empty.csv",
        asset_selection=[dg.AssetKey(DOMAIN)],
        raise_on_error=False,
    )
    run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "__ASSET_JOB" and PARTITION_NAME_TAG in run.tags
    assert domain_of_run(run) == DOMAIN
    run = evaluate_outcome_sensor(defs, instance, run)
    assert run.tags[OUTCOME_TAG] == "FAILED"
    summary = summary_of(store, run.run_id)
    assert (summary["files_failed"], summary["files_success"]) == (1, 0)
    after = store.get_state(DOMAIN, "broken/income_empty.csv")
    assert after["attempts"] == before["attempts"] == 1  # not re-attempted: same content, not retryable
    assert after["status"] == "FAILED"


def test_a_run_that_only_skipped_reports_no_rows_loaded_and_no_failure_log(defs, instance, store, settings):
    """Materialising an unchanged, loaded partition again skips it: the run loaded nothing."""
    from workdata.demo.inbox import write_demo

    write_demo(settings.inbox_dir, big_rows=500)
    evaluate_outcome_sensor(defs, instance, run_files(defs, instance, ["income_2024-07.csv"]))
    again = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, partition_key="income_2024-07.csv", asset_selection=[dg.AssetKey(DOMAIN)]
    )
    run = evaluate_outcome_sensor(defs, instance, instance.get_run_by_id(again.run_id))
    assert run.tags[OUTCOME_TAG] == "SUCCESS"
    summary = summary_of(store, run.run_id)
    assert (summary["files_skipped"], summary["rows_loaded"], summary["rows_failed"]) == (1, 0, 0)
    reports = [
        e.dagster_event.engine_event_data.metadata["report"].value
        for e in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if e.dagster_event.engine_event_data and "report" in e.dagster_event.engine_event_data.metadata
    ]
    assert reports and "Rows: 0 loaded, none rejected." in reports[-1] and "failure log" not in reports[-1]


def test_the_outcome_sensor_records_a_run_once_and_says_when_idle(defs, instance, store):
    run = run_files(defs, instance, ["income_2024-07.csv"])
    first = dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources)
    started = run_outcome_sensor(first)
    # A new sensor looks back to the beginning: a run that finished before its first tick (one that died
    # before the daemon ticked, with files it never reached) is recorded too.
    assert run.run_id[:8] in started.skip_reason.skip_message
    assert OUTCOME_TAG in instance.get_run_by_id(run.run_id).tags
    again = dg.build_sensor_context(instance=instance, definitions=defs, cursor="0", resources=defs.resources)
    idle = run_outcome_sensor(again)
    assert "No run that ingests files finished since" in idle.skip_reason.skip_message
    reports = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
    assert sum("workdata outcome" in (e.dagster_event.message or "") for e in reports) == 1
