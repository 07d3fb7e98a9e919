import pandas as pd
import pytest

from workdata.core.engine.read.raw_table import RawTable
from workdata.core.engine.stage.failed_records import build_failed_records
from workdata.core.engine.validate.validator import validate
from workdata.core.lineage import with_lineage
from workdata.core.outcome import FileOutcome
from workdata.core.records import FileStatus
from workdata.core.staged import FailedRecords, GoodRows
from workdata.demo.files import make_rows
from workdata.domains import DOMAINS
from workdata_tests.pg import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

DOMAIN = DOMAINS["annuity_income"]


def typed_rows(count: int) -> pd.DataFrame:
    raw = pd.DataFrame(make_rows(DOMAIN.name, 3, "2024-10", count), dtype="str")
    raw.index = pd.Index(range(1, count + 1), name="row_index")
    return validate(DOMAIN, raw).good


def staged(typed: pd.DataFrame, run) -> GoodRows:
    """Good rows as the engine stages a small file: in memory, with their lineage."""
    return GoodRows.in_memory(with_lineage(typed, "f.csv", "h1", run.run_id))


def good_rows(count: int, run) -> GoodRows:
    return staged(typed_rows(count), run)


def outcome(file_hash: str, loaded: int, status=FileStatus.SUCCESS) -> FileOutcome:
    return FileOutcome(DOMAIN.name, "f.csv", file_hash, status, rows_total=loaded, rows_loaded=loaded)


def warehouse_count(store) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM annuity_income WHERE _source_file = 'f.csv'").fetchone()[0]


def test_commit_writes_rows_lineage_and_ledger(store, run):
    store.commit_file(outcome("h1", 20), run, good_rows(20, run), None)
    assert warehouse_count(store) == 20
    state = store.get_state(DOMAIN.name, "f.csv")
    assert (state["status"], state["file_hash"], state["attempts"], state["rows_loaded"]) == (
        "SUCCESS",
        "h1",
        1,
        20,
    )
    with store.connect() as conn:
        lineage = conn.execute(
            "SELECT min(_row_index), max(_row_index), min(_run_id) FROM annuity_income"
        ).fetchone()
    assert lineage == (1, 20, run.run_id)


def test_failed_commit_rolls_back_to_the_previous_state(store, run):
    store.commit_file(outcome("h1", 20), run, good_rows(20, run), None)
    broken = typed_rows(5).astype({"invoice_count": "str"})
    broken["invoice_count"] = "not a number"
    with pytest.raises(Exception, match=r"(?i)conver|cast|invalid input"):
        store.commit_file(outcome("h2", 5), run, staged(broken, run), None)
    assert warehouse_count(store) == 20
    assert store.get_state(DOMAIN.name, "f.csv")["file_hash"] == "h1"


def test_new_content_replaces_rows_and_resets_attempts(store, run):
    store.commit_file(outcome("h1", 20), run, good_rows(20, run), None)
    store.commit_file(outcome("h1", 20), run, good_rows(20, run), None)
    assert store.get_state(DOMAIN.name, "f.csv")["attempts"] == 2
    store.commit_file(outcome("h2", 7), run, good_rows(7, run), None)
    assert warehouse_count(store) == 7
    assert store.get_state(DOMAIN.name, "f.csv")["attempts"] == 1
    assert store.processed_hashes() == {(DOMAIN.name, "f.csv"): "h2"}


def test_ledger_only_commit_keeps_rows(store, run):
    store.commit_file(outcome("h1", 20), run, good_rows(20, run), None)
    store.commit_file(outcome("h1", 0, FileStatus.FAILED), run, None, None, replace_rows=False)
    assert warehouse_count(store) == 20
    assert store.get_state(DOMAIN.name, "f.csv")["status"] == "FAILED"


def test_failed_records_of_a_rerun_in_the_same_session_are_replaced(store, run):
    raw = pd.DataFrame(make_rows(DOMAIN.name, 3, "2024-10", 4), dtype="str")
    raw.index = pd.Index(range(1, 5), name="row_index")
    raw.loc[2, "fee_rate"] = "abc"
    result = validate(DOMAIN, raw)
    failures = result.failure_table
    records = build_failed_records(DOMAIN.name, "f.csv", "h1", RawTable(raw), failures, run)
    for _ in range(2):
        failed = FailedRecords.in_memory(records)
        store.commit_file(outcome("h1", 3, FileStatus.PARTIAL), run, staged(result.good, run), failed)
    stored = store.failed_records(session_id=run.session_id)
    assert len(stored) == 1 and stored["row_index"][0] == 2


def test_states_of_many_files_come_in_few_queries_none_for_unseen(store, run):
    store.commit_file(outcome("h1", 5), run, good_rows(5, run), None)
    keys = ["f.csv", *(f"new_{n}.csv" for n in range(1200))]
    states = store.get_states(DOMAIN.name, keys)
    assert list(states) == keys
    assert states["f.csv"]["file_hash"] == "h1" and states["f.csv"]["status"] == "SUCCESS"
    assert all(states[k] is None for k in keys[1:])


def test_schema_upgrades_an_older_database_and_is_a_no_op_when_current(store):
    from workdata.core.storage.schema import schema_changes
    from workdata.core.storage.store import _columns

    with store.connect() as conn:
        assert schema_changes(store.domains.values(), _columns(conn)) == []
        conn.execute("ALTER TABLE failed_records DROP COLUMN replayed_at")
        conn.execute('ALTER TABLE "annuity_income" DROP COLUMN _sheet')
        assert len(schema_changes(store.domains.values(), _columns(conn))) == 2
    store.ensure_schema()
    with store.connect() as conn:
        columns = _columns(conn)
    assert "replayed_at" in columns["failed_records"] and "_sheet" in columns["annuity_income"]
