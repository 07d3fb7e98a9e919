"""Small files committed in groups over one connection: the state one file at a time gives, one connection
per group, and a file whose commit fails inside a group retried alone and recorded."""

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pytest

from workdata.app import open_store
from workdata.core import commits
from workdata.core.ingest_context import Ingest
from workdata.core.operations.invariants import reconciliation_violations, unrecorded_failures
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file, process_files
from workdata.core.records import FileStatus, Stage
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.schema import domain_table_ddl
from workdata.core.storage.store import Store
from workdata.demo.files import make_rows, write_csv
from workdata.demo.inbox import write_demo
from workdata.domains import DOMAINS
from workdata_tests.conftest import TEST_BIG_ROWS
from workdata_tests.pg import BACKENDS

PERF = DOMAINS["annuity_performance"]
RUN = RunContext(session_id="etl_20241130_101500_abc123", run_id="run-1")
# What a grouped run and a run of one file at a time must agree on (not times, not the ledger's run id).
LEDGER = ["domain", "file_path", "file_hash", "status", "error_category", "retryable", "rows_total"]
LEDGER += ["rows_loaded", "rows_failed", "attempts", "failure_log_written", "user_message"]


def _settings(home) -> WorkdataSettings:
    return WorkdataSettings(home=home, logs_dir=home / "logs", settle_seconds=0)


def _state(store: Store) -> dict[str, pd.DataFrame]:
    tables = {"file_state": LEDGER, "failed_records": None, **dict.fromkeys(store.domains)}
    with store.connect() as conn:
        frames = {t: conn.execute(f'SELECT * FROM "{t}"').df() for t in tables}
    frames = {
        t: f[columns] if columns else f.drop(columns=["timestamp", "_loaded_at"], errors="ignore")
        for (t, columns), f in zip(tables.items(), frames.values(), strict=True)
    }
    return {t: f.sort_values(list(f.columns)).reset_index(drop=True) for t, f in frames.items()}


def _grouped(store: Store, settings: WorkdataSettings, files) -> dict[str, object]:
    outcomes = {}
    ingest = Ingest(store, RUN, settings.failure_log_path(RUN.session_id))
    for domain in DOMAINS.values():
        keys = [f.key for f in files if f.domain == domain.name]
        for outcome in process_files(domain, keys, settings.inbox_dir, ingest):
            outcomes[(domain.name, outcome.file_path)] = outcome
    return outcomes


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_a_grouped_run_leaves_the_state_of_one_file_at_a_time(tmp_path, store_url, monkeypatch):
    monkeypatch.setattr(commits, "GROUP_FILES", 3)  # several groups, and one left over at the end
    alone, grouped = _settings(tmp_path / "alone"), _settings(tmp_path / "grouped")
    alone, grouped = (s.model_copy(update={"store_url": store_url}) for s in (alone, grouped))
    demo = write_demo(alone.inbox_dir, big_rows=TEST_BIG_ROWS)
    write_demo(grouped.inbox_dir, big_rows=TEST_BIG_ROWS)
    one_store = open_store(alone)
    ingest = Ingest(one_store, RUN, alone.failure_log_path(RUN.session_id))
    for f in demo:
        process_file(DOMAINS[f.domain], alone.inbox_dir / f.domain / f.key, f.key, ingest)
    expected = _state(one_store)
    if store_url:  # one schema for both: the grouped run goes second, into emptied tables
        with one_store.connect() as conn:
            for table in ["file_state", "file_attempts", "failed_records", *one_store.domains]:
                conn.execute(f'DELETE FROM "{table}"')
    group_store = open_store(grouped)
    outcomes = _grouped(group_store, grouped, demo)
    assert {k: o.status for k, o in outcomes.items()} == {(f.domain, f.key): f.status for f in demo}
    actual = _state(group_store)
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(frame, actual[table], obj=table)
    assert reconciliation_violations(group_store) == unrecorded_failures(group_store) == []


@contextmanager
def _counted(connect, opened: list) -> Iterator:
    opened.append(1)
    with connect() as conn:
        yield conn


def test_a_group_of_small_files_commits_over_one_connection(tmp_path):
    settings = _settings(tmp_path)
    real = open_store(settings)
    opened: list[int] = []
    store = Store(lambda: _counted(real.connect, opened), DOMAINS.values())
    keys = [f"f{n:02d}.csv" for n in range(10)]
    for n, key in enumerate(keys):
        write_csv(settings.inbox_dir / PERF.name / key, make_rows(PERF.name, n, f"{2001 + n}-07", 20))
    ingest = Ingest(store, RUN, settings.failure_log_path(RUN.session_id))
    opened.clear()
    outcomes = list(process_files(PERF, keys, settings.inbox_dir, ingest))
    assert [o.status for o in outcomes] == [FileStatus.SUCCESS] * 10
    assert len(opened) == 2  # the claimed files' ledger rows in one query, then their commits in one
    with real.connect() as conn:
        assert conn.execute(f'SELECT count(*) FROM "{PERF.name}"').fetchone()[0] == 200


def test_a_file_refused_inside_a_group_is_committed_alone_and_recorded(tmp_path):
    settings = _settings(tmp_path)
    store = Store(open_store(settings).connect, DOMAINS.values())
    with store.connect() as conn:  # a warehouse constraint that refuses one file's rows
        conn.execute(f'DROP TABLE "{PERF.name}"')
        refusing = domain_table_ddl(PERF).rstrip().removesuffix(")")
        conn.execute(f"{refusing}, CHECK (_source_file <> 'f02.csv'))")
    keys = [f"f{n:02d}.csv" for n in range(5)]
    for n, key in enumerate(keys):
        write_csv(settings.inbox_dir / PERF.name / key, make_rows(PERF.name, n, f"{2001 + n}-07", 20))
    ingest = Ingest(store, RUN, settings.failure_log_path(RUN.session_id))
    outcomes = {o.file_path: o for o in process_files(PERF, keys, settings.inbox_dir, ingest)}
    refused = outcomes.pop("f02.csv")
    assert (refused.status, refused.stage) == (FileStatus.FAILED, Stage.LOAD)
    assert refused.error_category and refused.user_message and len(refused.user_message) < 200
    assert {o.status for o in outcomes.values()} == {FileStatus.SUCCESS}
    with store.connect() as conn:
        rows = conn.execute(
            f'SELECT _source_file, count(*), count(DISTINCT _row_index) FROM "{PERF.name}" GROUP BY 1'
        ).fetchall()
        ledger = dict(conn.execute("SELECT file_path, status FROM file_state").fetchall())
    assert sorted(rows) == [(k, 20, 20) for k in keys if k != "f02.csv"]  # each once, f02 not at all
    assert ledger == {k: "FAILED" if k == "f02.csv" else "SUCCESS" for k in keys}
