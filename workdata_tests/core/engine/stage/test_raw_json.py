"""Rows as JSON built in Arrow: the exact text pandas' writer gives (after its '\\/' is undone)."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.engine.stage.failed_records import _pandas_json, raw_rows_as_json
from workdata.core.engine.stage.raw_json import json_objects

cells = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(['"', "\\", "/", "\\/", "\x00", "\u2028"]))
# Not NUL in names: pandas' writer cuts a key at NUL (a C string), where this writer keeps it.
names = st.lists(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=6),
    min_size=1,
    max_size=4,
    unique=True,
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), columns=names)
def test_same_text_as_pandas(data, columns):
    rows = data.draw(
        st.lists(st.lists(cells, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=6)
    )
    frame = pd.DataFrame(rows, columns=columns, dtype="str", index=np.arange(len(rows)) * 3 + 1)
    positions = data.draw(st.permutations(range(len(rows))))
    built = raw_rows_as_json(frame, np.array(positions)).to_pylist()
    assert built == _pandas_json(frame.iloc[positions])
    for line, (_, row) in zip(built, frame.iloc[positions].iterrows(), strict=True):
        assert json.loads(line) == {k: (None if pd.isna(v) else v) for k, v in row.items()}


def test_a_column_that_is_not_text_is_left_to_pandas():
    built = raw_rows_as_json(pd.DataFrame({"a": [1, 2]}), np.array([0, 1]))
    assert built.to_pylist() == ['{"a":1}', '{"a":2}']


def test_a_header_with_nul_keeps_its_whole_name():
    line = raw_rows_as_json(pd.DataFrame({"a\x00b": ["x"]}, dtype="str"), np.array([0]))[0].as_py()
    assert json.loads(line) == {"a\x00b": "x"}


def test_a_slice_is_judged_by_its_own_text():
    # Only the slice's bytes decide whether it needs escaping, wherever it starts in its buffers.
    values = pa.array(["x", "y", "c\\d", 'e"f'])
    assert json_objects(["k"], [values.slice(2, 2)]).to_pylist() == ['{"k":"c\\\\d"}', '{"k":"e\\"f"}']
    assert json_objects(["k", "m"], [values.slice(0, 1), values.slice(0, 1)]).to_pylist() == [
        '{"k":"x","m":"x"}'
    ]
