"""Raw rows as JSON for the failure log: only the failing rows, long values capped, any frame."""

import json

import numpy as np
import pandas as pd

from workdata.core.engine.read.raw_table import RawTable, SetAsideRow
from workdata.core.engine.stage.failed_records import (
    MAX_RAW_CHARS,
    _capped,
    build_failed_records,
    raw_rows_as_json,
)
from workdata.core.engine.validate.row_failures import empty_failures
from workdata.core.outcome import RunContext


def _objects(frame: pd.DataFrame, positions: list[int]) -> list[dict]:
    return [json.loads(line) for line in raw_rows_as_json(frame, np.array(positions)).to_pylist()]


def test_only_the_rows_asked_for_in_their_order():
    frame = pd.DataFrame({"a": ["1", "2", "3"], "b": ["x", None, 'q"']}, dtype="str", index=[7, 9, 11])
    assert _objects(frame, [2, 1]) == [{"a": "3", "b": 'q"'}, {"a": "2", "b": None}]
    assert raw_rows_as_json(frame, np.array([], dtype=np.intp)).to_pylist() == []


def test_values_longer_than_the_cap_in_characters_are_cut():
    many_bytes = "é" * (MAX_RAW_CHARS - 1)  # more bytes than the cap, fewer characters: kept whole
    too_long = "z" * (MAX_RAW_CHARS + 5)
    frame = pd.DataFrame({"a": [many_bytes, too_long, "short"]}, dtype="str")
    kept, cut, short = (row["a"] for row in _objects(frame, [0, 1, 2]))
    assert kept == many_bytes and short == "short"
    assert cut == "z" * MAX_RAW_CHARS + "…[5 more characters not stored]"


def test_a_frame_that_is_not_text_and_repeated_names_still_give_json():
    typed = pd.DataFrame({"n": [1, 2], "s": ["a/b", "c"]})
    assert _objects(typed, [0, 1]) == [{"n": 1, "s": "a/b"}, {"n": 2, "s": "c"}]
    repeated = pd.DataFrame([["1", "2"]], columns=["a", "a"], dtype="str")
    assert _objects(repeated, [0]) == [{"a": "2"}]
    assert raw_rows_as_json(typed, np.array([1])).to_pylist() == ['{"n":2,"s":"c"}']


def test_malformed_lines_are_stored_as_json_dumps_writes_them():
    lines = ['a,"b,c', "tab\there", "x" * (MAX_RAW_CHARS + 1), "é€"]
    malformed = [SetAsideRow(row_index=n + 2, raw_line=line, reason="r") for n, line in enumerate(lines)]
    raw = RawTable(frame=pd.DataFrame({"a": pd.Series([], dtype="str")}), set_aside=malformed)
    records = build_failed_records(
        "d", "f.csv", "h", raw, empty_failures(), RunContext("etl_20241130_101500_000001")
    )
    expected = [json.dumps({"_raw_line": _capped(line)}, ensure_ascii=False) for line in lines]
    assert records["raw_data"].to_pylist() == expected
    assert records["row_index"].to_pylist() == [2, 3, 4, 5]
