"""What a failed, dead-lettered or partial file tells the operator on its own partition, the ledger-based
failing-files check, run tags with counts and the run report, on a real instance."""

from __future__ import annotations

from urllib.parse import parse_qs

import dagster as dg
import pytest
import yaml

from workdata.core.inbox.planning import RunPlan
from workdata.core.operations.recovery import release
from workdata.core.policy import DomainPolicy
from workdata.defs.automation.run_outcome import record_run_outcome
from workdata.defs.build import build_definitions
from workdata.defs.health.checks import FAILING_FILES_CHECK
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.defs.recovery.launchpad import action_link
from workdata.demo.files import make_rows, plant_defects, write_csv

DOMAIN = "annuity_income"
SESSION = "etl_20241130_101500_abc123"
HEADER = "report_month,plan_code\n2024-09,P0001\n"


@pytest.fixture
def scene(settings, instance):
    """A run with a clean file, a partial one, a bad one and a dead letter (schema_mismatch)."""
    inbox = settings.inbox_dir / DOMAIN
    write_csv(inbox / "good.csv", make_rows(DOMAIN, 1, "2024-07", 50))
    rows = make_rows(DOMAIN, 2, "2024-08", 100)
    plant_defects(DOMAIN, rows, ("unknown_plan",), 0.05)
    write_csv(inbox / "partial.csv", rows)
    (inbox / "empty.csv").write_bytes(b"")
    (inbox / "columns.csv").write_text(HEADER)
    policy = DomainPolicy(dead_letter_categories=("schema_mismatch",))
    local = settings.model_copy(update={"policies": {DOMAIN: policy}})
    defs = build_definitions(local)
    keys = ["columns.csv", "empty.csv", "good.csv", "partial.csv"]
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
    result = _run(defs, instance, keys)
    return local, defs, result


def _run(defs, instance, keys):
    plan = RunPlan(DOMAIN, tuple(keys), tuple("-" for _ in keys))
    return defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
        instance=instance, tags=run_tags(plan, SESSION), raise_on_error=False
    )


def _observation(instance, key):
    records = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(DOMAIN), asset_partitions=[key]), limit=1
    ).records
    return records[0].asset_observation.metadata


def _failing(instance):
    record = instance.get_latest_asset_check_evaluation_record(
        dg.AssetCheckKey(dg.AssetKey(DOMAIN), FAILING_FILES_CHECK)
    )
    return record.event.dagster_event.event_specific_data


def _launchpad(link: str) -> tuple[str, dict]:
    """The job and run config a Launchpad link opens."""
    path, _, query = link.partition("?")
    assert path.startswith("/guess/") and path.endswith("/playground/setup")
    return path.split("/")[2], yaml.safe_load(parse_qs(query)["config"][0])


@pytest.mark.parametrize("name", ["a b&c=d.csv", "x'\"#: [y]\n- z.csv", "月报%20?.csv"])
def test_action_links_carry_any_file_name_intact(name):
    for status, retryable, action, job, op in [
        ("DEAD_LETTER", False, "release", "release_file", "release_dead_letter"),
        ("FAILED", True, "retry now", "retry_failed_files", "make_failed_files_due"),
    ]:
        label, link = action_link(DOMAIN, {"file_path": name, "status": status, "retryable": retryable})
        assert label == action
        assert _launchpad(link) == (job, {"ops": {op: {"config": {"domain": DOMAIN, "file": name}}}})
    assert action_link(DOMAIN, {"file_path": name, "status": "FAILED", "retryable": False}) is None


def test_each_failed_file_says_why_when_and_how_on_its_partition(scene, instance):
    empty = _observation(instance, "empty.csv")
    assert empty["status"].value == "FAILED" and empty["category"].value == "data_malformed"
    assert empty["reason"].value == "The file is empty; it holds no header and no rows."
    assert empty["next_retry"].value.startswith("never") and "fix the file" in empty["what_to_do"].value
    assert empty["attempts"].value == "1 of 4"
    dead = _observation(instance, "columns.csv")
    assert dead["status"].value == "DEAD_LETTER"
    assert "workdata release annuity_income/columns.csv" in dead["what_to_do"].value
    assert dead["release"].value.startswith("/guess/release_file/playground/setup?config=")
    assert dead["quarantine_path"].value.endswith("columns.csv")
    assert not dead["reason"].value.endswith("…")  # whole sentences, never cut


def test_a_partial_file_shows_its_first_rejected_rows(scene, instance, store):
    event = instance.get_latest_materialization_event(dg.AssetKey(DOMAIN))
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(DOMAIN), asset_partitions=["partial.csv"]), limit=1
    ).records
    assert event is not None and records
    partial = records[0].asset_materialization.metadata
    assert partial["status"].value == "PARTIAL"
    assert records[0].asset_materialization.tags["workdata/file_status"] == "PARTIAL"
    table = partial["first_rejected_rows"].value
    records = store.failed_records(source_file="partial.csv").sort_values("row_index")
    shown = [r.data["row"] for r in table.records]
    assert shown == sorted(shown) and shown[0] == int(records["row_index"].iloc[0])
    assert table.records[0].data["value"] == "P9999" and table.records[0].data["column"] == "plan_code"


def test_failing_files_check_is_red_until_the_files_are_fixed(scene, instance, store, settings):
    local, defs, _ = scene
    failing = _failing(instance)
    assert not failing.passed and failing.severity == dg.AssetCheckSeverity.ERROR
    assert failing.metadata["failing_files"].value == 2 and failing.metadata["dead_letter"].value == 1
    rows = {r.data["file"]: r.data for r in failing.metadata["files"].value.records}
    assert rows["empty.csv"]["why"] == "The file is empty; it holds no header and no rows."
    assert rows["empty.csv"]["next_retry"].startswith("never")
    assert "workdata release annuity_income/columns.csv" in rows["columns.csv"]["what_to_do"]
    # The dead letter's one-click action: the release job's Launchpad, filled in with a config it accepts.
    job, config = _launchpad(failing.metadata["release: columns.csv"].value)
    assert job == "release_file" and config["ops"]["release_dead_letter"]["config"]["file"] == "columns.csv"
    assert dg.validate_run_config(defs.resolve_job_def(job), config)
    assert "retry now: empty.csv" not in failing.metadata  # not retryable: only a fix helps
    inbox = local.inbox_dir / DOMAIN
    write_csv(inbox / "empty.csv", make_rows(DOMAIN, 3, "2024-10", 20))
    write_csv(inbox / "columns.csv", make_rows(DOMAIN, 4, "2024-11", 20))
    assert release(store, DOMAIN, "columns.csv")
    _run(defs, instance, ["columns.csv", "empty.csv"])
    healed = _failing(instance)
    assert healed.passed and healed.metadata["failing_files"].value == 0


def test_the_run_carries_counts_and_its_report_lists_every_failed_file(scene, instance, store):
    _, _, result = scene
    run = instance.get_run_by_id(result.run_id)
    summary = record_run_outcome(instance, run, store)
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags["workdata/outcome"] == "PARTIAL"
    assert (tags["workdata/files_failed"], tags["workdata/files_partial"]) == ("1", "1")
    assert tags["workdata/files_dead_letter"] == "1"
    assert tags["workdata/top_category"] in {"data_malformed", "schema_mismatch"}
    assert {e.file_path for e in summary.top_errors} == {"empty.csv", "columns.csv"}
    by_file = {e.file_path: e for e in summary.top_errors}
    assert by_file["columns.csv"].status == "DEAD_LETTER" and not by_file["empty.csv"].retryable
