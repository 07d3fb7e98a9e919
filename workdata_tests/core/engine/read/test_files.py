from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.engine.read.csv_files import holds_replacement
from workdata.core.engine.read.files import read_raw
from workdata.core.errors import MalformedFileError
from workdata.core.records import ErrorType


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_csv_rows_keep_source_numbers_around_malformed_rows(tmp_path):
    data = b'a,b,c\n1,2,3\n4,5\n"x\ny",7,8\n9,10,11,12\n13,14,15\n'
    raw = read_raw(write(tmp_path, "f.csv", data))
    assert list(raw.frame.index) == [1, 3, 5]
    assert raw.frame.loc[3, "a"] == "x\ny"
    assert [(m.row_index, m.raw_line) for m in raw.set_aside] == [(2, "4,5"), (4, "9,10,11,12")]
    assert raw.rows_total == 5


def test_csv_undecodable_bytes_become_malformed_rows_with_the_raw_line(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"a,b\n1,2\n\xff\xfe,3\n4,5\n"))
    assert list(raw.frame.index) == [1, 3]
    [bad] = raw.set_aside
    assert bad.row_index == 2
    assert "\ufffd\ufffd,3" == bad.raw_line
    assert "undecodable" in bad.reason


def test_csv_unbalanced_quote_does_not_crash_and_keeps_the_text(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b'a,b\n1,2\n"open,3\n4,5\n'))
    assert list(raw.frame.index) == [1]
    assert "open" in raw.set_aside[0].raw_line and "4,5" in raw.set_aside[0].raw_line


def test_csv_header_is_normalised_and_bom_dropped(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"\xef\xbb\xbf A ,B\r\n1,2\r\n"))
    assert list(raw.frame.columns) == ["a", "b"]
    assert raw.frame.loc[1, "b"] == "2"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"a,b\n", "no data rows"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "not a readable CSV"),
        ("dup.csv", b"a,a\n1,2\n", "duplicate"),
        ("x.txt", b"a\n1\n", "not supported"),
        ("bad.parquet", b"PAR1 truncated", "truncated or corrupt"),
    ],
)
def test_whole_file_problems_raise_malformed_file_error(tmp_path, name, data, message):
    with pytest.raises(MalformedFileError) as caught:
        read_raw(write(tmp_path, name, data))
    assert message in caught.value.user_message
    assert caught.value.retryable is False


def test_jsonl_broken_lines_and_non_objects_are_malformed(tmp_path):
    data = b'{"a": 1, "b": "x"}\n\n{"a": 2\n[1, 2]\n{"a": null, "b": "\xff"}\n{"a": 3}\n'
    raw = read_raw(write(tmp_path, "f.jsonl", data))
    assert list(raw.frame.index) == [1, 6]
    assert raw.frame.loc[1, "a"] == "1"
    assert raw.frame.loc[6, "b"] == ""
    assert [(m.row_index, m.error_type) for m in raw.set_aside] == [
        (2, ErrorType.DROPPED_IN_PIPELINE),  # the blank line: counted and recorded, not data
        (3, ErrorType.MALFORMED_ROW),
        (4, ErrorType.MALFORMED_ROW),
        (5, ErrorType.MALFORMED_ROW),
    ]


def test_parquet_columns_become_text_with_row_numbers(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"A": [1, 2], "b": ["x", None]}), path)
    raw = read_raw(path)
    assert list(raw.frame.index) == [1, 2]
    assert raw.frame.loc[1, "a"] == "1" and raw.frame.loc[2, "b"] == ""


def test_a_short_row_with_undecodable_bytes_is_still_captured(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"a,b,c\n1,2,3\n\xff\xfe,x\n4,5,6\n"))
    assert list(raw.frame.index) == [1, 3]
    [bad] = raw.set_aside
    assert bad.row_index == 2 and "undecodable" in bad.reason


CELL_TEXT = st.text(
    st.sampled_from(["a", "é", "\ufffd", "\ufffc", "\uf000", "中", ",", "\U0001f600"]), max_size=4
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CELL_TEXT), st.data())
def test_cells_holding_a_replacement_character_are_found_in_any_chunks_and_slices(values, data):
    column = pa.array(values, pa.string())
    cut = data.draw(st.integers(0, len(values)))
    chunked = pa.chunked_array([column.slice(0, cut), column.slice(cut)], type=pa.string())
    start = data.draw(st.integers(0, len(values)))
    part = chunked.slice(start, data.draw(st.integers(0, len(values))))
    expected = ["\ufffd" in v for v in values[start : start + len(part)]]
    assert holds_replacement(part).tolist() == expected
