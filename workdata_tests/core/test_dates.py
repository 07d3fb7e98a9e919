"""Dates by explicit formats: exact like pandas, written back like strftime."""

from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.dates import parse_dates, written_back
from workdata.core.domain import MONTH_FORMATS

FORMATS = [*MONTH_FORMATS, "%d.%m.%Y %H:%M", "%H:%M:%S %Y", "%b %Y"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.datetimes(min_value=datetime(1700, 1, 1), max_value=datetime(2250, 12, 31)), min_size=1))
@pytest.mark.parametrize("fmt", FORMATS)
def test_written_back_matches_strftime(fmt, moments):
    stamps = pa.array([pd.Timestamp(m).floor("s") for m in moments], pa.timestamp("ns"))
    assert written_back(stamps, fmt).to_pylist() == pc.strftime(stamps, format=fmt).to_pylist()


def test_exact_forms_only_as_pandas_parses_them():
    text = pd.Series(
        ["2024-02-29", "2024-02-30", "2024-2-5", "2023-02-29", "20240305", None, "x"], dtype="str"
    )
    parsed = parse_dates(text, ("%Y-%m-%d", "%Y%m%d"))
    expected = [
        pd.to_datetime(v, format=f, errors="coerce")
        for v, f in zip(text, ["%Y-%m-%d"] * 5 + ["%Y%m%d"] * 2, strict=True)
    ]
    assert parsed.iloc[0] == pd.Timestamp("2024-02-29")
    assert pd.isna(parsed.iloc[1]) and pd.isna(parsed.iloc[3]) and pd.isna(parsed.iloc[5])
    assert parsed.iloc[4] == pd.Timestamp("2024-03-05")
    assert parsed.iloc[2] == expected[2]  # pandas' own verdict on an unpadded form
