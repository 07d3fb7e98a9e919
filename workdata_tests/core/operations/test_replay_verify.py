"""Replay after a reference fix, and verify catching deliberately broken invariants."""

import shutil
from importlib import resources

import pytest

from workdata.core.ingest_context import Ingest
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.operations.replay import replay
from workdata.core.operations.verify import verify
from workdata.core.pipeline import process_file
from workdata.demo.business_files import write_small_totals_csv
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.domains import DOMAINS
from workdata_tests.pg import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

DOMAIN = DOMAINS["annuity_income"]


@pytest.fixture
def loaded(settings, store, run, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    for name in ("plans", "companies"):
        shutil.copyfile(
            str(resources.files("workdata.domains") / "reference" / f"{name}.csv"), refs / f"{name}.csv"
        )
    rows = make_rows(DOMAIN.name, 11, "2024-10", 300)
    defects = plant_defects(
        DOMAIN.name, rows, ("unknown_plan", "unknown_company", "duplicate_key", "out_of_range"), 0.08
    )
    path = settings.inbox_dir / DOMAIN.name / "f.csv"
    write_csv(path, rows)
    ingest = Ingest(store, run, settings.failure_log_path(run.session_id), reference_dir=refs)
    outcome = process_file(DOMAIN, path, "f.csv", ingest)
    return refs, defects, outcome


def warehouse_rows(store) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM annuity_income").fetchone()[0]


def test_replay_loads_rows_fixed_by_a_reference_update_once(loaded, store, settings):
    refs, _, outcome = loaded
    records = store.failed_records()
    reasons = records.groupby("row_index")["error_type"].agg(set)
    # Rows whose only fault is an unknown plan or company; a row that also repeats a key stays failed.
    fixable = sum(r <= {"FK_CONSTRAINT_VIOLATION", "ENRICHMENT_FAILED"} for r in reasons)
    assert fixable >= 8
    assert replay(store, DOMAIN, refs, "replay-0")[0].loaded == 0  # nothing fixed yet

    with (refs / "plans.csv").open("a") as handle:
        handle.write("P9999,Plan 99 New,enterprise_annuity\n")
    with (refs / "companies.csv").open("a") as handle:
        handle.write('C999999,"New Company Co., Ltd."\n')
    [result] = replay(store, DOMAIN, refs, "replay-1")
    assert result.loaded == fixable
    assert warehouse_rows(store) == outcome.rows_loaded + result.loaded
    state = store.get_state(DOMAIN.name, "f.csv")
    assert state["rows_loaded"] == outcome.rows_loaded + result.loaded
    assert state["rows_failed"] == outcome.rows_failed - result.loaded
    assert reconciliation_violations(store) == []

    assert all(r.loaded == 0 for r in replay(store, DOMAIN, refs, "replay-2"))
    assert warehouse_rows(store) == outcome.rows_loaded + result.loaded  # never twice
    with store.connect() as conn:
        enriched = conn.execute(
            "SELECT company_name FROM annuity_income WHERE company_id = 'C999999' LIMIT 1"
        ).fetchone()[0]
    assert enriched == "New Company Co., Ltd."


def test_verify_passes_then_lists_each_broken_invariant(loaded, store, settings):
    assert loaded[2].rows_loaded > 0
    assert verify(store, settings.inbox_dir, DOMAINS.values(), 4).violations == []
    with store.connect() as conn:
        conn.execute("INSERT INTO annuity_income SELECT * FROM annuity_income LIMIT 1")
        conn.execute("UPDATE file_state SET attempts = 9")
    (settings.inbox_dir / DOMAIN.name / "unseen.csv").write_text("x\n1\n")
    violations = verify(store, settings.inbox_dir, DOMAINS.values(), 4).violations
    text = "\n".join(violations)
    assert "warehouse holds" in text  # reconciliation
    assert "is in the warehouse 2 times" in text  # idempotence
    assert "breaks the retry cap" in text
    assert "unseen.csv: in the inbox but not in the ledger" in text


def test_replay_leaves_dropped_rows_alone_and_a_file_fixed_whole_becomes_success(
    settings, store, run, tmp_path
):
    refs = tmp_path / "refs"
    refs.mkdir()
    for name in ("plans", "companies"):
        shutil.copyfile(
            str(resources.files("workdata.domains") / "reference" / f"{name}.csv"), refs / f"{name}.csv"
        )
    path = settings.inbox_dir / DOMAIN.name / "small.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_small_totals_csv(path, 11)  # one unknown plan (row 3) and a 合计 row (row 5)
    ingest = Ingest(store, run, settings.failure_log_path(run.session_id), reference_dir=refs)
    outcome = process_file(DOMAIN, path, "small.csv", ingest)
    assert (outcome.rows_failed, outcome.rows_dropped) == (1, 1)
    with (refs / "plans.csv").open("a") as handle:
        handle.write("P9999,Plan 99 New,enterprise_annuity\n")
    [result] = replay(store, DOMAIN, refs, "replay-1")
    assert (result.candidates, result.loaded) == (1, 1)  # the totals row is no candidate
    state = store.get_state(DOMAIN.name, "small.csv")
    assert (state["status"], state["rows_loaded"], state["rows_failed"], state["rows_dropped"]) == (
        "SUCCESS",
        4,
        0,
        1,
    )
    assert reconciliation_violations(store) == []
