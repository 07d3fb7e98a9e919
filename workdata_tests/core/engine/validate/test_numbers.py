"""Plain numbers taken whole by Arrow's cast give what the full road (strip, normalise, parse) gives."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from workdata.core.engine.validate.numbers import parse_numbers, plain_numbers

_TEXTS = (
    st.sampled_from(
        [
            "0",
            "-0",
            "12",
            "+3",
            "1.5",
            ".5",
            "5.",
            "1e5",
            "-2E-3",
            "007",
            "1.0",
            "2.5",
            "inf",
            "-Infinity",
            "nan",
            "NaN",
            " 1",
            "1 ",
            "",
            "  ",
            "1,200",
            "5%",
            "１２",
            "abc",
            "1e",
            "--1",
            "0x10",
            "1_000",
        ]
    )
    | st.floats(allow_nan=False, allow_infinity=False).map(repr)
    | st.integers().map(str)
)


@given(st.lists(_TEXTS, min_size=1, max_size=30), st.booleans())
def test_plain_numbers_equal_the_full_road_whenever_they_apply(texts, integer):
    text = pa.array(texts, pa.large_string())
    index = pd.RangeIndex(len(texts))
    plain = plain_numbers(text, index, integer)
    if plain is None:
        return
    stripped = pc.utf8_trim_whitespace(text)
    pd.testing.assert_series_equal(plain, parse_numbers(stripped, index, integer))


def test_padding_blanks_and_decorations_take_the_full_road():
    for texts in (["1", " 2"], ["1", ""], ["1", "1,200"], ["1", "5%"], ["１２"]):
        assert plain_numbers(pa.array(texts), pd.RangeIndex(len(texts)), False) is None
    assert plain_numbers(pa.array(["1", "inf"]), pd.RangeIndex(2), False).isna().tolist() == [False, True]
