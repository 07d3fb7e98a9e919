import pandas as pd

from workdata.core.operations.run_summary import (
    NOT_REACHED,
    overall_status,
    summarize,
    summary_line,
    summary_markdown,
)


def attempts(*rows):
    columns = [
        "domain",
        "file_path",
        "status",
        "error_category",
        "retryable",
        "user_message",
        "rows_total",
        "rows_loaded",
        "rows_failed",
    ]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows], columns=columns)


OK = ("d", "a.csv", "SUCCESS", None, None, None, 10, 10, 0)
PART = ("d", "b.csv", "PARTIAL", None, None, None, 10, 8, 2)
BAD = ("d", "c.csv", "FAILED", "data_malformed", False, "The file is empty.", 0, 0, 0)
SKIP = ("d", "e.csv", "SKIPPED", None, None, "Unchanged", 5, 5, 0)


def test_overall_status_rules():
    assert overall_status(3, 0, 0, 2) == "SUCCESS"
    assert overall_status(0, 0, 0, 0) == "SUCCESS"
    assert overall_status(3, 1, 0, 0) == "PARTIAL"
    assert overall_status(3, 0, 1, 0) == "PARTIAL"
    assert overall_status(0, 0, 2, 1) == "PARTIAL"
    assert overall_status(0, 0, 2, 0) == "FAILED"
    assert overall_status(0, 0, 0, 0, dead_letter=1) == "FAILED"
    assert overall_status(10, 0, 0, 0, dead_letter=1) == "PARTIAL"


DEAD = ("d", "f.csv", "DEAD_LETTER", "schema_mismatch", False, "Gave up after 1 attempt(s).", 0, 0, 0)


def test_a_dead_letter_is_a_failed_file_in_the_outcome_line_and_report():
    s = summarize("r1", "s1", attempts(OK, DEAD), [])
    assert (s.status, s.files_dead_letter, s.files) == ("PARTIAL", 1, 2)
    assert summary_line(s) == "Processed 2 files: 1 loaded, 0 partial, 0 failed, 1 dead-lettered"
    report = summary_markdown(s)
    row = "| f.csv | DEAD_LETTER | schema_mismatch | dead letter: release it | Gave up after 1 attempt(s)."
    assert row in report
    assert "1 dead-lettered: release them once fixed" in report
    alone = summarize("r2", "s1", attempts(DEAD), [])
    assert alone.status == "FAILED"


def test_a_run_that_only_skipped_loaded_no_rows_and_names_no_failure_log():
    s = summarize("r1", "s1", attempts(SKIP), [])
    assert (s.status, s.rows_loaded, s.rows_failed, s.files_skipped) == ("SUCCESS", 0, 0, 1)
    report = summary_markdown(s)
    assert "Rows: 0 loaded, none rejected." in report and "failure log" not in report


def test_summary_counts_rows_and_top_errors():
    s = summarize("r1", "s1", attempts(OK, PART, BAD, SKIP), [])
    assert (s.status, s.files_success, s.files_partial, s.files_failed, s.files_skipped) == (
        "PARTIAL",
        1,
        1,
        1,
        1,
    )
    # The skipped file's 5 rows were loaded by an earlier run, not this one.
    assert (s.rows_total, s.rows_loaded, s.rows_failed) == (20, 18, 2)
    assert s.top_errors[0].file_path == "c.csv" and s.retryable_failed == 0
    assert summary_line(s) == "Processed 4 files: 1 loaded, 1 partial, 1 failed, 1 skipped"
    report = summary_markdown(s)
    assert (
        "**Outcome: PARTIAL**" in report
        and "| d | c.csv | FAILED | data_malformed | not retried: fix the file | The file is empty. |"
        in report
    )


def test_latest_attempt_wins_and_unreached_files_count_as_failed():
    retried = ("d", "c.csv", "SUCCESS", None, None, None, 3, 3, 0)
    s = summarize("r1", "s1", attempts(BAD, retried), [("d", "c.csv"), ("d", "z.csv")])
    assert (s.files_success, s.files_failed, s.status) == (1, 1, "PARTIAL")
    assert s.top_errors[0].message == NOT_REACHED and s.retryable_failed == 1
    crashed = summarize("r2", "s1", attempts(), [("d", "x.csv"), ("d", "y.csv")])
    assert (crashed.status, crashed.files_failed, crashed.retryable_failed) == ("FAILED", 2, 2)


def test_the_report_lists_every_failed_file_retryable_first_with_its_next_retry():
    later = ("d", "r2.csv", "FAILED", "connectivity", True, "Reference down.", 0, 0, 0)
    sooner = ("d", "r1.csv", "FAILED", "connectivity", True, "Reference down.", 0, 0, 0)
    frame = attempts(BAD, later, sooner)
    frame["next_retry_at"] = [None, "2026-12-04T10:05:00+00:00", "2026-12-04T10:01:00+00:00"]
    s = summarize("r1", "s1", frame, [])
    assert [e.file_path for e in s.top_errors] == ["r1.csv", "r2.csv", "c.csv"]
    report = summary_markdown(s)
    assert "| d | r1.csv | FAILED | connectivity | 2026-12-04T10:01:00+00:00 | Reference down. |" in report
    many = attempts(*[("d", f"f{n:03d}.csv", "FAILED", "unknown", True, "x", 0, 0, 0) for n in range(40)])
    assert len(summarize("r2", "s1", many, []).top_errors) == 40
