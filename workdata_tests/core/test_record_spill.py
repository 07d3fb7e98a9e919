"""Spilled failed records read back as the same records, in row order, with the same summary."""

import pandas as pd
import pyarrow as pa

from workdata.core.failed_records import first_failure, top_reasons
from workdata.core.failure_log import append_locked
from workdata.core.open_store import open_store
from workdata.core.record_spill import SpilledRecords
from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.settings import WorkdataSettings


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


def _spill(tmp_path):
    spill = SpilledRecords(tmp_path / "records.parquet")
    blocks = [_records([2, 3, 3, 7]), _records([]), _records([9, 12, 12, 15])]
    for block in blocks:
        spill.add(block)
    late = _records([1, 7, 12, 40], check="unique_business_key")
    spill.add(late.iloc[:2], late=True)  # found at the file's end, in parts, in row order
    spill.add(late.iloc[2:], late=True)
    spill.close()
    whole = pd.concat([*blocks, late]).sort_values(["row_index", "error_type", "column", "check"])
    return spill, whole.reset_index(drop=True)


def test_spilled_records_come_back_in_row_order_in_any_slice_size(tmp_path):
    spill, whole = _spill(tmp_path)
    for rows in (1, 2, 3, 100):
        back = pa.concat_tables(list(spill.slices(rows))).to_pandas()
        assert back["row_index"].tolist() == whole["row_index"].tolist(), rows
        assert sorted(map(tuple, back.to_numpy().tolist())) == sorted(map(tuple, whole.to_numpy().tolist()))
    assert len(spill) == len(whole)


def test_spilled_records_go_into_the_database_whole(tmp_path):
    spill, whole = _spill(tmp_path)
    store = open_store(WorkdataSettings(home=tmp_path / "wd"))
    with store.connect() as conn:
        spill.insert_into(conn)
    stored = store.failed_records().sort_values(["row_index", "check"]).reset_index(drop=True)
    expected = whole[list(FAILED_RECORD_COLUMNS)]
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_spilled_records_summarise_as_the_whole_frame(tmp_path):
    spill, whole = _spill(tmp_path)
    assert spill.first_failure() == first_failure(whole) == "row 1: message-1"
    assert spill.top_reasons() == top_reasons(whole)
    assert spill.top_reasons(1) == (("VALIDATION_FAILED fee_rate in_range", 8),)


def test_the_failure_log_of_spilled_records_is_the_log_of_the_frame(tmp_path):
    spill, whole = _spill(tmp_path)
    assert append_locked(tmp_path / "a.csv", spill) == append_locked(tmp_path / "b.csv", whole) == 12
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
