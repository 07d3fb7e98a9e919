"""A file's failed records, spilled to Parquet or held in memory, read back as the same records, in row
order, with the same summary, the same rows in the database and the same failure-log lines."""

import pandas as pd
import pyarrow as pa
import pytest

from workdata.app import open_store
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.record_tables import records_from_frame
from workdata.core.records import FAILED_RECORD_COLUMNS, FileStatus
from workdata.core.settings import WorkdataSettings
from workdata.core.staged import FailedRecords
from workdata.core.storage.failure_csv import append_locked

pytestmark = pytest.mark.parametrize("spilled", [True, False], ids=["spilled", "in_memory"])


def _records(rows, check="in_range") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            name: pd.Series([f"{name}-{r}" for r in rows], dtype="str")
            for name in (*FAILED_RECORD_COLUMNS, "file_hash")
        }
    )
    return frame.assign(
        row_index=pd.Series(rows, dtype="int64"),
        attempt=pd.Series([1] * len(rows), dtype="int64"),
        error_type="VALIDATION_FAILED",
        column="fee_rate",
        check=check,
    ).astype({"error_type": "str", "column": "str", "check": "str"})


def _spill(tmp_path, spilled):
    spill = FailedRecords(spill_to=tmp_path / "records.parquet" if spilled else None)
    blocks = [_records([2, 3, 3, 7]), _records([]), _records([9, 12, 12, 15])]
    for block in blocks:
        spill.add(records_from_frame(block))
    late = _records([1, 7, 12, 40], check="unique_business_key")
    spill.add(records_from_frame(late.iloc[:2]), late=True)  # found at the file's end, in parts, in row order
    spill.add(records_from_frame(late.iloc[2:]), late=True)
    spill.close()
    whole = pd.concat([*blocks, late]).sort_values(["row_index", "error_type", "column", "check"])
    return spill, whole.reset_index(drop=True)


def test_failed_records_come_back_in_row_order_in_any_slice_size(tmp_path, spilled):
    spill, whole = _spill(tmp_path, spilled)
    for rows in (1, 2, 3, 100):
        back = pa.concat_tables(list(spill.slices(rows))).to_pandas()
        assert back["row_index"].tolist() == whole["row_index"].tolist(), rows
        assert sorted(map(tuple, back.to_numpy().tolist())) == sorted(map(tuple, whole.to_numpy().tolist()))
    assert len(spill) == len(whole)


def test_failed_records_go_into_the_database_whole(tmp_path, spilled):
    spill, whole = _spill(tmp_path, spilled)
    store = open_store(WorkdataSettings(home=tmp_path / "wd"))
    # As a commit inserts them, the file's records replacing whatever it had.
    outcome = FileOutcome("annuity_income", "f.csv", "h", FileStatus.PARTIAL, rows_total=20, rows_failed=12)
    store.commit_file(outcome, RunContext("etl_20241130_101500_abc123"), None, spill)
    stored = store.failed_records().sort_values(["row_index", "check"]).reset_index(drop=True)
    expected = whole[list(FAILED_RECORD_COLUMNS)]
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_failed_records_summarise_as_the_whole_frame(tmp_path, spilled):
    spill, whole = _spill(tmp_path, spilled)
    whole_at_once = FailedRecords.in_memory(records_from_frame(whole))  # summarised in one piece
    assert spill.first_failure() == whole_at_once.first_failure() == "row 1: message-1"
    assert spill.top_reasons() == whole_at_once.top_reasons()
    assert spill.top_reasons(1) == (("VALIDATION_FAILED fee_rate in_range", 8),)


def test_the_failure_log_of_failed_records_is_the_log_of_the_frame(tmp_path, spilled):
    spill, whole = _spill(tmp_path, spilled)
    written = append_locked(tmp_path / "b.csv", FailedRecords.from_frame(whole))
    assert append_locked(tmp_path / "a.csv", spill) == written == 12
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
