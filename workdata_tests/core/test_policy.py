import pytest

from workdata.core.ingest_context import Ingest
from workdata.core.pipeline import process_file
from workdata.core.policy import DomainPolicy, ReadMode, decide
from workdata.core.records import ErrorCategory, FileStatus
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.domains import DOMAINS

DOMAIN = DOMAINS["annuity_income"]


def test_decisions():
    policy = DomainPolicy(warn_bad_row_ratio=0.01, max_bad_row_ratio=0.2)
    assert decide(policy, 100, 0).status is FileStatus.SUCCESS
    assert decide(policy, 100, 1).status is FileStatus.PARTIAL and not decide(policy, 100, 1).warn
    assert decide(policy, 100, 2).warn
    assert decide(policy, 100, 20).status is FileStatus.PARTIAL
    rejected = decide(policy, 100, 21)
    assert rejected.status is FileStatus.FAILED and "21.0%" in rejected.reason and "20.0%" in rejected.reason
    assert decide(policy, 5, 5).status is FileStatus.FAILED
    failfast = decide(DomainPolicy(mode=ReadMode.FAILFAST), 100, 1, "row 7: bad date")
    assert failfast.status is FileStatus.FAILED and "row 7: bad date" in failfast.reason
    with pytest.raises(ValueError):
        DomainPolicy(warn_bad_row_ratio=0.5, max_bad_row_ratio=0.1)


@pytest.fixture
def dirty_file(settings):
    rows = make_rows(DOMAIN.name, 5, "2024-10", 200)
    defects = plant_defects(DOMAIN.name, rows, ("text_in_number", "unknown_plan"), 0.05)
    path = settings.inbox_dir / DOMAIN.name / "dirty.csv"
    write_csv(path, rows)
    return path, len(defects)


def run_with(policy, store, run, settings, path):
    return process_file(
        DOMAIN, path, path.name, Ingest(store, run, settings.failure_log_path(run.session_id), policy)
    )


def count_rows(store) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM annuity_income").fetchone()[0]


def test_permissive_loads_good_rows_failfast_loads_nothing(dirty_file, store, run, settings):
    path, bad = dirty_file
    permissive = run_with(DomainPolicy(), store, run, settings, path)
    assert (permissive.status, permissive.rows_loaded, permissive.rows_failed) == (
        FileStatus.PARTIAL,
        200 - bad,
        bad,
    )
    assert count_rows(store) == 200 - bad

    path.write_bytes(path.read_bytes() + b"\n")  # same rows, new checksum: processed again
    failfast = run_with(DomainPolicy(mode="failfast"), store, run, settings, path)
    assert (failfast.status, failfast.rows_loaded) == (FileStatus.FAILED, 0)
    assert failfast.error_category is ErrorCategory.DATA_MALFORMED and failfast.retryable is False
    assert "failfast" in failfast.user_message and "row " in failfast.user_message
    assert count_rows(store) == 0
    records = store.failed_records(source_file=path.name, session_id=run.session_id)
    assert (records["error_type"] != "DROPPED_IN_PIPELINE").sum() == bad  # the added blank line is dropped


def test_above_max_ratio_the_file_fails_and_nothing_is_loaded(dirty_file, store, run, settings):
    path, bad = dirty_file
    outcome = run_with(
        DomainPolicy(warn_bad_row_ratio=0.01, max_bad_row_ratio=0.02), store, run, settings, path
    )
    assert (outcome.status, outcome.rows_loaded, outcome.rows_failed) == (FileStatus.FAILED, 0, bad)
    assert "above this domain's limit of 2.0%" in outcome.user_message
    assert count_rows(store) == 0
    state = store.get_state(DOMAIN.name, path.name)
    assert (state["status"], state["error_category"], state["retryable"]) == (
        "FAILED",
        "data_malformed",
        False,
    )
