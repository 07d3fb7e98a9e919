"""Business keys across files in the commit transaction, on DuckDB and on PostgreSQL: reject (the first
file keeps a key) and replace (the newer file supersedes it), with reconciliation and key uniqueness."""

from __future__ import annotations

import json

import pytest

from workdata.core.ingest_context import ingest_for
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.pipeline import process_files
from workdata.core.policy import DomainPolicy, KeyPolicy
from workdata.core.records import FileStatus
from workdata.core.storage.failure_csv import read_failures
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS
from workdata_tests.pg import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
INCOME = DOMAINS["annuity_income"]


def _overlapping(settings) -> list[str]:
    first = make_rows(INCOME.name, 1, "2024-07", 40)
    second = [dict(r, customer_name=r["customer_name"] + " Ltd") for r in first[:5]]
    write_csv(settings.inbox_dir / INCOME.name / "a.csv", first)
    write_csv(settings.inbox_dir / INCOME.name / "b.csv", second + make_rows(INCOME.name, 2, "2024-08", 35))
    return ["a.csv", "b.csv"]


def _keys_loaded_twice(store) -> int:
    key = ", ".join(INCOME.business_key)
    with store.connect() as conn:
        return conn.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM annuity_income GROUP BY {key} "
            "HAVING count(DISTINCT _source_file) > 1) AS twice"
        ).fetchone()[0]


def test_reject_keeps_the_first_file_and_records_the_rest(settings, store, run):
    keys = _overlapping(settings)
    outcomes = list(process_files(INCOME, keys, settings.inbox_dir, ingest_for(settings, INCOME, store, run)))
    by_file = {o.file_path: o for o in outcomes}
    assert by_file["a.csv"].status is FileStatus.SUCCESS
    assert (by_file["b.csv"].status, by_file["b.csv"].rows_loaded, by_file["b.csv"].rows_failed) == (
        FileStatus.PARTIAL,
        35,
        5,
    )
    records = store.failed_records(source_file="b.csv")
    assert len(records) == 5 and set(records["check"]) == {"unique_across_files"}
    assert json.loads(records["raw_data"].iloc[0])["customer_name"].endswith(" Ltd")
    assert _keys_loaded_twice(store) == 0 and reconciliation_violations(store) == []
    # b.csv was clean before the commit: its records still reach the session CSV, and a crash before
    # that append would be recovered through the ledger's failure_log_path.
    state = store.get_state(INCOME.name, "b.csv")
    assert state["failure_log_path"] == str(settings.failure_log_path(run.session_id))
    assert state["failure_log_written"]
    lines = read_failures(settings.failure_log_path(run.session_id))
    assert (lines["check"] == "unique_across_files").sum() == 5


def test_replace_lets_the_newer_file_supersede(settings, store, run):
    keys = _overlapping(settings)
    local = settings.model_copy(
        update={"policies": {INCOME.name: DomainPolicy(key_policy=KeyPolicy.REPLACE)}}
    )
    outcomes = list(process_files(INCOME, keys, local.inbox_dir, ingest_for(local, INCOME, store, run)))
    assert [o.status for o in outcomes] == [FileStatus.SUCCESS, FileStatus.SUCCESS]
    older = store.get_state(INCOME.name, "a.csv")
    assert (older["rows_total"], older["rows_loaded"], older["rows_superseded"]) == (40, 35, 5)
    assert _keys_loaded_twice(store) == 0 and reconciliation_violations(store) == []
