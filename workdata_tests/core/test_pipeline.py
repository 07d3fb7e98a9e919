"""The path of one file over the whole demo inbox, checked against the demo's ground truth."""

import json
from contextlib import ExitStack
from dataclasses import dataclass

import pandas as pd
import pytest

from workdata.app import open_store
from workdata.core.ingest_context import Ingest, ingest_for
from workdata.core.operations.invariants import reconciliation_violations, unrecorded_failures
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file, record_unreached
from workdata.core.records import ErrorType, FileStatus
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.duckdb_connection import duckdb_connector
from workdata.core.storage.failure_csv import read_failures
from workdata.core.storage.store import Store
from workdata.demo.files import make_rows, write_csv
from workdata.demo.inbox import write_demo
from workdata.demo.rows import CSV_DEFECTS, VALUE_DEFECTS
from workdata.domains import DOMAINS
from workdata_tests.conftest import TEST_BIG_ROWS
from workdata_tests.pg import BACKENDS, fresh_schema


def ingest_all(settings, store, run, demo):
    ingest = Ingest(store, run, settings.failure_log_path(run.session_id))
    return {
        (f.domain, f.key): process_file(
            DOMAINS[f.domain], settings.inbox_dir / f.domain / f.key, f.key, ingest
        )
        for f in demo
    }


def snapshot(store) -> dict[str, pd.DataFrame]:
    with store.connect() as conn:
        tables = ["failed_records", "file_state", *store.domains]
        frames = {t: conn.execute(f'SELECT * FROM "{t}"').df() for t in tables}
    return {t: f.sort_values(list(f.columns)).reset_index(drop=True) for t, f in frames.items()}


@dataclass
class World:
    """The demo inbox ingested once for this module's read-only tests."""

    settings: WorkdataSettings
    store: Store
    run: RunContext
    demo: list
    ingested: dict


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    """The demo inbox ingested once per backend for this module's read-only tests."""
    with ExitStack() as stack:
        url = stack.enter_context(fresh_schema()) if request.param == "postgres" else None
        home = tmp_path_factory.mktemp("wd")
        settings = WorkdataSettings(home=home, logs_dir=home / "logs", store_url=url)
        store = open_store(settings)
        run = RunContext(session_id="etl_20241130_101500_abc123", run_id="run-1")
        demo = write_demo(settings.inbox_dir, big_rows=TEST_BIG_ROWS)
        yield World(settings, store, run, demo, ingest_all(settings, store, run, demo))


# The module's tests read the shared world under the usual fixture names.
ingested, settings, store, run, demo = (
    pytest.fixture(name=name)(lambda world, name=name: getattr(world, name))
    for name in ("ingested", "settings", "store", "run", "demo")
)


def test_every_file_ends_with_its_planted_status(ingested, demo):
    for f in demo:
        outcome = ingested[(f.domain, f.key)]
        assert outcome.status == f.status, f.key
        if f.status == FileStatus.FAILED:
            assert outcome.error_category == f.category, f.key
            assert outcome.user_message and len(outcome.user_message) < 200


def test_every_planted_defect_is_captured_with_type_row_and_raw_data(ingested, store, demo):
    records = store.failed_records()
    for f in (f for f in demo if f.defects):
        mine = records[records["source_file"] == f.key]
        for d in f.defects:
            rows = mine[mine["row_index"] == d.row_index]
            assert (rows["error_type"] == d.error_type).any(), (f.key, d)
            if d.column is not None:
                assert (rows["column"] == d.column).any(), (f.key, d)
            raw = json.loads(rows["raw_data"].iloc[0])
            assert isinstance(raw, dict) and raw
            if d.error_type == "MALFORMED_ROW":
                assert raw["_raw_line"]
        assert set(mine["row_index"]) == {d.row_index for d in f.defects}, "false positives"
        dropped = {d.row_index for d in f.defects if d.error_type == ErrorType.DROPPED_IN_PIPELINE}
        outcome = ingested[(f.domain, f.key)]
        assert outcome.rows_failed == len({d.row_index for d in f.defects} - dropped)
        assert outcome.rows_dropped == len(dropped)
        assert outcome.rows_total == outcome.rows_loaded + outcome.rows_failed + outcome.rows_dropped


def test_every_defect_class_is_planted_and_found(ingested, store, demo):
    classes = {d.defect for f in demo for d in f.defects}
    assert classes >= {*VALUE_DEFECTS, *CSV_DEFECTS, "broken_json"}
    assert len(VALUE_DEFECTS) + len(CSV_DEFECTS) == 11  # the ten defect classes, the unknown code twice


def test_session_csv_matches_failed_records(ingested, store, settings, run):
    csv = read_failures(settings.failure_log_path(run.session_id))
    db = store.failed_records(session_id=run.session_id)
    assert len(csv) == len(db) > 0
    key = ["source_file", "row_index", "error_type", "column"]
    db_keys = sorted(db[key].fillna("").astype(str).to_numpy().tolist())
    csv_keys = sorted(csv[key].astype(str).to_numpy().tolist())
    assert csv_keys == db_keys


def test_invariants_hold_after_ingest(ingested, store, settings, demo):
    assert reconciliation_violations(store) == []
    assert unrecorded_failures(store) == []
    states = store.processed_hashes()
    assert {(f.domain, f.key) for f in demo} <= set(states)


def test_running_again_changes_nothing(ingested, store, settings, demo):
    before = snapshot(store)
    later = RunContext(session_id="etl_20241201_000000_ffffff", run_id="run-2")
    again = ingest_all(settings, store, later, demo)
    after = snapshot(store)
    skipped = [k for k, o in again.items() if o.status == FileStatus.SKIPPED]
    # Loaded files are unchanged; files whose same content already failed are not attempted again.
    assert len(skipped) == len(demo)
    assert all(
        "Already failed with this content" in o.user_message
        for (d, k), o in again.items()
        if next(f for f in demo if (f.domain, f.key) == (d, k)).status == FileStatus.FAILED
    )
    for name in ("failed_records", *store.domains):
        pd.testing.assert_frame_equal(before[name], after[name])
    assert not settings.failure_log_path(later.session_id).exists()


def test_changed_file_replaces_its_rows(tmp_path):
    settings = WorkdataSettings(home=tmp_path, logs_dir=tmp_path / "logs")
    store = Store(duckdb_connector(settings.duckdb_path), DOMAINS.values())
    store.ensure_schema()
    run = RunContext(session_id="etl_20241130_101500_abc123")
    domain = DOMAINS["annuity_performance"]
    path = settings.inbox_dir / domain.name / "perf_2024-07.csv"
    write_csv(path, make_rows(domain.name, 1, "2024-07", 50))
    first = process_file(domain, path, "perf_2024-07.csv", Ingest(store, run, settings.failure_log_path("x")))
    assert (first.status, first.rows_loaded) == (FileStatus.SUCCESS, 50)
    frame = pd.read_csv(path, dtype="str", keep_default_na=False).head(10)
    frame.loc[3, "member_count"] = "-5"
    write_csv(path, frame.to_dict("records"))
    outcome = process_file(
        domain, path, "perf_2024-07.csv", Ingest(store, run, settings.failure_log_path("x"))
    )
    assert (outcome.status, outcome.rows_loaded, outcome.rows_failed) == (FileStatus.PARTIAL, 9, 1)
    with store.connect() as conn:
        count = conn.execute(
            "SELECT count(*) FROM annuity_performance WHERE _source_file = 'perf_2024-07.csv'"
        ).fetchone()[0]
    assert count == 9
    assert reconciliation_violations(store) == []


def test_a_date_outside_the_supported_range_fails_its_row_not_the_file(tmp_path):
    # pandas 3 reads '/1' as %Y/%m year 0; storing that once raised OutOfBoundsDatetime for the file.
    settings = WorkdataSettings(home=tmp_path, logs_dir=tmp_path / "logs")
    store = Store(duckdb_connector(settings.duckdb_path), DOMAINS.values())
    store.ensure_schema()
    domain = DOMAINS["annuity_performance"]
    rows = make_rows(domain.name, 1, "2024-07", 10)
    rows[1]["report_month"], rows[3]["report_month"] = "/1", "0001-01"
    path = settings.inbox_dir / domain.name / "perf_dates.csv"
    write_csv(path, rows)
    run = RunContext(session_id="etl_20241130_101500_abc123")
    outcome = process_file(domain, path, "perf_dates.csv", Ingest(store, run, settings.failure_log_path("x")))
    assert (outcome.status, outcome.rows_loaded, outcome.rows_failed) == (FileStatus.PARTIAL, 8, 2)
    failed = store.failed_records(source_file="perf_dates.csv")
    assert set(failed["column"]) == {"report_month"}


def test_files_a_dead_run_never_reached_are_failed_and_retryable_with_the_attempt_counted(tmp_path):
    home = tmp_path / "wd"
    settings = WorkdataSettings(home=home, logs_dir=home / "logs")
    store = open_store(settings)
    domain = DOMAINS["annuity_income"]
    for n, key in enumerate(["done.csv", "never.csv", "retrying.csv"]):
        write_csv(settings.inbox_dir / domain.name / key, make_rows(domain.name, n, f"2020-0{n + 1}", 5))
    run = RunContext(session_id="etl_20241130_101500_abc123", run_id="dead-run")
    ingest = ingest_for(settings, domain, store, run)
    assert (
        process_file(domain, settings.inbox_dir / domain.name / "done.csv", "done.csv", ingest).status
        == "SUCCESS"
    )

    recorded = record_unreached(domain, ["done.csv", "never.csv"], settings.inbox_dir, ingest, "dead-run")
    assert [o.file_path for o in recorded] == ["never.csv"]  # a loaded file is left as it is
    never = store.get_state(domain.name, "never.csv")
    assert (never["status"], never["retryable"], never["attempts"]) == ("FAILED", True, 1)
    assert "run stopped before this file was processed" in never["user_message"]

    # A run retrying it died too: one more attempt, so a file that kills its runs ends as a dead letter.
    again = record_unreached(domain, ["never.csv"], settings.inbox_dir, ingest, "dead-run-2")
    assert store.get_state(domain.name, "never.csv")["attempts"] == 2 and again[0].retryable

    # A file the run reached and failed retryably keeps its own failure: runs with failed files end
    # FAILURE in Dagster too, and are no less "reached" for it.
    unreachable = WorkdataSettings(home=home, logs_dir=home / "logs", reference_dir=tmp_path / "missing")
    write_csv(settings.inbox_dir / domain.name / "down.csv", make_rows(domain.name, 9, "2020-09", 5))
    down = ingest_for(unreachable, domain, store, run)
    failed = process_file(domain, settings.inbox_dir / domain.name / "down.csv", "down.csv", down)
    assert (failed.status, failed.error_category, failed.retryable) == ("FAILED", "connectivity", True)
    assert record_unreached(domain, ["down.csv"], settings.inbox_dir, down, "dead-run") == []
    kept = store.get_state(domain.name, "down.csv")
    assert (kept["error_category"], kept["attempts"]) == ("connectivity", 1)

    # A file another run holds is left to it.
    held, _ = ingest.claims.take(domain.name, ["retrying.csv"])
    try:
        assert record_unreached(domain, ["retrying.csv"], settings.inbox_dir, ingest, "dead-run") == []
    finally:
        for claim in held.values():
            claim.release()
    assert store.get_state(domain.name, "retrying.csv") is None
