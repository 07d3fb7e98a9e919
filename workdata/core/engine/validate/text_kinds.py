"""Stripped text to one column kind (number, date, boolean, text), and what a value that failed should be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.domain import ColumnSpec, Kind
from workdata.core.engine.validate.dates import parse_date_values
from workdata.core.engine.validate.numbers import parse_numbers

NUMERIC = (Kind.INTEGER, Kind.FLOAT)
_TRUE = {"true", "1", "yes", "y"}
_MINUS_SIGNS = "[\u2212\u2012\u2013\uff0d]"
_FALSE = {"false", "0", "no", "n"}


def stripped(text: pa.Array) -> pa.Array:
    """The text without surrounding whitespace; blank values as missing."""
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def typed_values(spec: ColumnSpec, text: pa.Array, index: pd.Index) -> pd.Series:
    """Stripped text as the column's kind; missing where blank or not convertible."""
    if spec.kind is Kind.TEXT:
        return as_series(text, index)
    # Full-width digits, signs and separators (２０２４, －, ％, ，) become their ASCII forms.
    # Normalising is the costly part: a column whose values are all ASCII (most are) skips it.
    if pc.all(pc.string_is_ascii(text)).as_py() is False:
        wide = pc.utf8_normalize(text, "NFKC")
        text = pc.replace_substring_regex(wide, _MINUS_SIGNS, "-")
    if spec.kind in NUMERIC:
        return parse_numbers(text, index, integer=spec.kind is Kind.INTEGER)
    if spec.kind is Kind.DATE:
        parsed = parse_date_values(text, spec.formats or ("%Y-%m-%d",))
        return pd.Series(parsed, index=index, dtype="datetime64[ns]")
    if spec.kind is Kind.BOOLEAN:
        lowered = pc.utf8_lower(text)
        flags = pd.Series(pd.NA, index=index, dtype="boolean")
        flags[np.asarray(pc.is_in(lowered, pa.array(sorted(_TRUE))).fill_null(False))] = True
        flags[np.asarray(pc.is_in(lowered, pa.array(sorted(_FALSE))).fill_null(False))] = False
        return flags
    return as_series(text, index)


def as_series(text: pa.Array, index: pd.Index) -> pd.Series:
    """Arrow text as a pandas Series on `index`."""
    series = text.to_pandas()
    series.index = index
    return series


def expectation(spec: ColumnSpec) -> str:
    """What a value of the column should be, for the message of one that is not."""
    if spec.kind is Kind.DATE:
        return f"is not a date in format {' or '.join(spec.formats or ('%Y-%m-%d',))}"
    if spec.kind is Kind.INTEGER:
        return "is not a whole number"
    if spec.kind is Kind.FLOAT:
        return "is not a number (or a percentage)"
    return f"is not a {spec.kind}"
