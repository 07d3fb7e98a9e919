"""Dates by explicit formats: exact like pandas, written back like strftime."""

from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.domain import MONTH_FORMATS
from workdata.core.engine.validate.dates import in_range, parse_dates, written_back

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


def _reference(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """pandas alone, format by format: what parse_dates must equal."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.notna()
        found = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed[todo] = found.where(found.between(pd.Timestamp.min, pd.Timestamp.max)).astype("datetime64[ns]")
    return parsed


date_like = st.lists(
    st.one_of(
        st.none(),
        # Letters, signs, Unicode digits and spaces too: none may be turned away before pandas sees it.
        st.text(alphabet="0123456789-/年月日 .:T+Zz\u3000\u0663\t", min_size=1, max_size=12),
        st.dates(min_value=datetime(1700, 1, 1).date(), max_value=datetime(2250, 1, 1).date()).map(
            lambda d: d.strftime(["%Y-%m-%d", "%Y%m", "%Y年%m月", "%Y/%m/%d", "%Y-%m"][d.day % 5])
        ),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(values=date_like)
def test_parse_dates_equals_pandas_format_by_format(values):
    text = pd.Series(values, dtype="str")
    formats = (*MONTH_FORMATS, "%d.%m.%Y %H:%M", "%d %m %YT%H:%M:%S", "%b %Y")
    assert parse_dates(text, formats).tolist() == _reference(text, formats).tolist()
    # Beyond a few values parsing is columnar, not value by value through the cache: the same answer.
    many = pd.Series([*values, *values, *["2024-01"] * 64], dtype="str")
    assert parse_dates(many, formats).tolist() == _reference(many, formats).tolist()


def test_a_date_outside_the_nanosecond_range_is_unconvertible_not_a_crash():
    text = pd.Series(["/1", "0001-01", "2024-03", "9999-12"], dtype="str")
    parsed = parse_dates(text, MONTH_FORMATS)
    assert parsed.isna().tolist() == [True, True, False, True]
    assert in_range(pd.Series([pd.Timestamp("2024-01-01")])).dtype == "datetime64[ns]"
