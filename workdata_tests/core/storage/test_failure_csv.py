import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.staged import FailedRecords
from workdata.core.storage.failure_csv import append_failures, neutralise, read_failures, rewrite_failures


def records(count: int, tag: str = "x") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "session_id": "etl_20241130_101500_abc123",
            "timestamp": "2024-11-30T10:15:00+00:00",
            "domain": "annuity_income",
            "source_file": f"{tag}.csv",
            "row_index": range(1, count + 1),
            "error_type": "VALIDATION_FAILED",
            "raw_data": '{"a": "=1+1"}',
            "column": "a",
            "check": "ge",
            "message": "m",
            "run_id": "r",
            "attempt": 1,
        }
    )


def test_header_written_once_and_rows_appended(tmp_path):
    path = tmp_path / "missing" / "dir" / "log.csv"
    append_failures(path, FailedRecords.from_frame(records(2)))
    append_failures(path, FailedRecords.from_frame(records(3)))
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(FAILED_RECORD_COLUMNS)
    assert len(lines) == 6
    assert not any(p.name.endswith(".lock") for p in path.parent.iterdir() if not p.name.startswith("."))


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"a": ["=HYPERLINK(x)", "+1", "-2", "@SUM", "\tx", "plain", None], "n": range(7)})
    safe = neutralise(pa.Table.from_pandas(frame))
    assert safe["a"].to_pylist() == ["'=HYPERLINK(x)", "'+1", "'-2", "'@SUM", "'\tx", "plain", ""]
    assert safe["n"].to_pylist() == list(range(7))


def test_hostile_message_round_trips_neutralised(tmp_path):
    frame = records(1)
    frame["message"] = '=cmd|" /C calc"!A0'
    path = tmp_path / "log.csv"
    append_failures(path, FailedRecords.from_frame(frame))
    assert read_failures(path)["message"][0] == "'" + '=cmd|" /C calc"!A0'


def test_rewrite_replaces_atomically_with_header_even_when_empty(tmp_path):
    path = tmp_path / "log.csv"
    append_failures(path, FailedRecords.from_frame(records(4)))
    rewrite_failures(path, FailedRecords.from_frame(records(0)))
    assert path.read_text().splitlines() == [",".join(FAILED_RECORD_COLUMNS)]


APPENDER = """
import sys
import pandas as pd
from pathlib import Path
from workdata.core.staged import FailedRecords
from workdata.core.storage.failure_csv import append_failures
sys.path.insert(0, {tests!r})
from core.storage.test_failure_csv import records
for batch in range(25):
    frame = records(40, tag=sys.argv[1])
    frame["raw_data"] = '{{"long": "' + "y" * 3000 + '"}}'
    append_failures(Path(sys.argv[2]), FailedRecords.from_frame(frame))
"""


def test_two_processes_append_one_header_and_no_torn_lines(tmp_path):
    path = tmp_path / "log.csv"
    script = APPENDER.format(tests=str(Path(__file__).parents[2]))
    procs = [subprocess.Popen([sys.executable, "-c", script, tag, str(path)]) for tag in ("p1", "p2")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    frame = read_failures(path)
    assert len(frame) == 2 * 25 * 40
    assert frame.groupby("source_file").size().to_dict() == {"p1.csv": 1000, "p2.csv": 1000}
    assert path.read_text().count("session_id,timestamp") == 1
    assert (frame["raw_data"].str.len() == len('{"long": ""}') + 3000).all()


def test_replace_removes_what_a_killed_writer_left_and_writes_the_file_once(tmp_path):
    from workdata.core.storage.failure_csv import append_locked, locked, replace_locked

    path = tmp_path / "log.csv"
    append_failures(path, FailedRecords.from_frame(records(3, tag="other")))
    text = records(5, tag="mine").to_csv(index=False, header=False, lineterminator="\n")
    with path.open("a") as handle:  # a writer killed mid-append: two whole lines and a torn one
        handle.write("".join(text.splitlines(keepends=True)[:2]) + text.splitlines()[2][:15])
    with locked(path):
        replace_locked(path, "annuity_income", "mine.csv", FailedRecords.from_frame(records(5, tag="mine")))
        append_locked(path, FailedRecords.from_frame(records(1, tag="later")))
    frame = read_failures(path)
    assert frame.groupby("source_file").size().to_dict() == {"other.csv": 3, "mine.csv": 5, "later.csv": 1}
    assert path.read_text().count("session_id,timestamp") == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from("=+-@\t\r 'aé€\n\"")))), st.integers(0, 3))
def test_exactly_the_cells_a_spreadsheet_would_run_are_prefixed(values, start):
    # Sliced, as the failure log's parts of a record file are: only the slice's own bytes count.
    text = pa.array(["=", *values], pa.string()).slice(min(start, len(values)))
    expected = ["" if v is None else "'" + v if re.match(r"[=+\-@\t\r]", v) else v for v in text.to_pylist()]
    assert neutralise(pa.table({"a": text}))["a"].to_pylist() == expected
