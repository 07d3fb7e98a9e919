"""A numeric block's few odd values converted on their own give what converting the whole block gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from workdata.core.arrow import values_with_byte_in
from workdata.core.domain import ColumnSpec, Kind
from workdata.core.engine.validate.conversion import _full_road, _mostly_plain
from workdata_tests.core.engine.validate.test_numbers import _TEXTS

_SPECS = [ColumnSpec("amount", Kind.FLOAT, True), ColumnSpec("members", Kind.INTEGER, False)]
# Plain numbers, mostly, as in a real block: the odd values are the few.
_BLOCK = st.lists(
    st.floats(allow_nan=False, allow_infinity=False).map(repr) | _TEXTS, min_size=1, max_size=40
)


@given(_BLOCK, st.sampled_from(_SPECS), st.integers(0, 3), st.booleans(), st.integers(0, 40))
def test_odd_values_on_their_own_give_what_the_whole_block_gives(texts, spec, skip, with_null, cut):
    values = ["9"] * skip + texts + ([None] if with_null else [])
    text = pa.array(values, pa.large_string()).slice(skip)  # a slice: offsets that do not start at 0
    if cut:  # pandas may hand a column over in chunks
        cut = min(cut, len(text))
        text = pa.chunked_array([text.slice(0, cut), text.slice(cut)])
    index = pd.RangeIndex(100, 100 + len(text))
    fast = _mostly_plain(spec, text, index)
    if fast is None:  # only when a value of number bytes only is no number ("1e", "--1")
        return
    full = _full_road(spec, text, index)
    pd.testing.assert_series_equal(fast.typed, full.typed)
    assert fast.blank.tolist() == full.blank.tolist()
    assert fast.unconvertible.tolist() == full.unconvertible.tolist()
    assert (fast.shown is None) == (full.shown is None)
    if full.shown is not None:
        assert fast.shown.to_pylist() == full.shown.to_pylist()


def test_a_value_out_of_range_is_shown_beside_the_odd_ones_in_row_order():
    text = pa.array(["1e999", " 5", "x", "2"], pa.large_string())
    column = _mostly_plain(_SPECS[0], text, pd.RangeIndex(4))
    assert column.unconvertible.tolist() == [True, False, True, False]
    assert column.shown.to_pylist() == ["1e999", "x"]


@given(
    st.lists(st.text(max_size=6) | st.none(), max_size=30),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 9),
)
def test_values_with_a_marked_byte_are_the_values_holding_one(texts, skip, large, cut):
    table = np.zeros(256, dtype=bool)
    table[[ord("a"), 0xE4, ord(" ")]] = True
    values = pa.array(["a"] * skip + texts, pa.large_string() if large else pa.string()).slice(skip)
    if cut:
        values = pa.chunked_array([values.slice(0, cut), values.slice(cut)])
    expected = [t is None or t == "" or bool(table[list(t.encode())].any()) for t in texts]
    assert values_with_byte_in(values, table, empty=True).tolist() == expected  # empty and missing: marked
    filled = [bool(t) and e for t, e in zip(texts, expected, strict=True)]
    assert values_with_byte_in(values, table).tolist() == filled
