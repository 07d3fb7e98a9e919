"""Stripped text to each column kind, and the expectation shown for a value that is not of it."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from workdata.core.domain import ColumnSpec, Kind
from workdata.core.engine.validate.text_kinds import expectation, stripped, typed_values


def _typed(kind: Kind, values: list[str | None], formats: tuple[str, ...] = ()) -> list:
    text = stripped(pa.array(values, pa.large_string()))
    series = typed_values(ColumnSpec("c", kind, True, formats), text, pd.RangeIndex(len(values)))
    return [None if pd.isna(v) else v for v in series]


def test_blank_and_padded_text_is_stripped_and_blank_is_missing():
    assert stripped(pa.array(["  a ", "   ", "", None, "b"])).to_pylist() == ["a", None, None, None, "b"]


def test_full_width_digits_and_minus_signs_are_numbers():
    assert _typed(Kind.FLOAT, ["１２.５", "\u22123", "－4", "1,234", "50%", "x", None]) == [
        12.5,
        -3.0,
        -4.0,
        1234.0,
        0.5,
        None,
        None,
    ]


def test_integers_refuse_fractions_and_percentages():
    assert _typed(Kind.INTEGER, ["7", "7.5", "7%", "7.0"]) == [7.0, None, None, 7.0]


def test_booleans_take_the_usual_words_in_any_case():
    assert _typed(Kind.BOOLEAN, ["TRUE", "no", "Y", "0", "maybe"]) == [True, False, True, False, None]


def test_dates_follow_the_column_formats():
    values = _typed(Kind.DATE, ["2024-03", "2024-13", "2024/03"], ("%Y-%m",))
    assert values == [pd.Timestamp("2024-03-01"), None, None]


def test_expectations_name_the_kind_and_date_formats():
    assert expectation(ColumnSpec("d", Kind.DATE, True, ("%Y-%m", "%Y%m"))) == (
        "is not a date in format %Y-%m or %Y%m"
    )
    assert expectation(ColumnSpec("n", Kind.INTEGER, True)) == "is not a whole number"
    assert expectation(ColumnSpec("f", Kind.FLOAT, True)) == "is not a number (or a percentage)"
