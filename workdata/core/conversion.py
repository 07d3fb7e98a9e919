"""Explicit, vectorised conversion of raw text columns to types, recording every value that fails."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.dates import parse_date_values
from workdata.core.domain import ColumnSpec, Domain, Kind
from workdata.core.records import ErrorType

_DISTINCT_MIN_ROWS = 1_000  # below this, encoding costs more than it saves
FAILURE_COLUMNS = ("row_index", "error_type", "column", "check", "message")
_TRUE = {"true", "1", "yes", "y"}
_MINUS_SIGNS = "[\u2212\u2012\u2013\uff0d]"
_GROUPING = "[,\u00a0\u202f' _]"  # thousands separators: comma, (narrow) no-break space, apostrophe, space
_FALSE = {"false", "0", "no", "n"}
# What float() would take, minus inf/nan, which no business column means.
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


_NO_FAILURES = pd.DataFrame({name: pd.Series(dtype="object") for name in FAILURE_COLUMNS})


def empty_failures() -> pd.DataFrame:
    """A failures frame with no rows and the fixed columns (shared: callers only concatenate it)."""
    return _NO_FAILURES


def concat_failures(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts as one failures frame; empty parts (most checks pass) are left out, not concatenated."""
    found = [part for part in parts if len(part)]
    if not found:
        return empty_failures()
    return found[0] if len(found) == 1 else pd.concat(found, ignore_index=True)


def make_failures(
    rows: pd.Index, error_type: ErrorType, column: str | None, check: str, messages: pd.Series | str
) -> pd.DataFrame:
    """Failures for `rows`, one per row, sharing type, column and check."""
    return pd.DataFrame(
        {
            "row_index": rows.to_numpy(),
            "error_type": str(error_type),
            "column": column,
            "check": check,
            "message": messages.to_numpy() if isinstance(messages, pd.Series) else messages,
        }
    )


@dataclass(frozen=True)
class Distinct:
    """A column's distinct typed values (index 0..k-1) and, per row, the position of its value there."""

    values: pd.Series
    codes: np.ndarray

    def expand(self, judged: np.ndarray) -> np.ndarray:
        """A per-distinct-value result as one per row."""
        return judged[self.codes]


@dataclass
class Converted:
    """The typed frame, the conversion failures, and the distinct values of low-cardinality columns."""

    typed: pd.DataFrame
    failures: pd.DataFrame
    distinct: dict[str, Distinct] = field(default_factory=dict)


def convert(domain: Domain, raw: pd.DataFrame, distinct_values: bool = True) -> Converted:
    """Typed frame (NA where empty or unconvertible) and the conversion/required failures.

    With `distinct_values` a column whose values mostly repeat is converted one distinct value at a time.
    """
    typed: dict[str, pd.Series] = {}
    distinct: dict[str, Distinct] = {}
    failures = [empty_failures()]
    for spec in domain.columns:
        text = _text(raw, spec.name)
        encoded = _encoded(spec, text) if distinct_values else None
        if encoded is None:
            text = _stripped(text)  # Arrow text, blanks as nulls: the work stays columnar
            blank = np.asarray(text.is_null())
            typed[spec.name] = _convert_column(spec, text, raw.index)
            unconvertible = typed[spec.name].isna().to_numpy() & ~blank
            shown = text.filter(pa.array(unconvertible)) if unconvertible.any() else None
        else:
            # Few distinct values (codes, names, months): each is converted once, not once per row.
            column, text = _distinct(spec, *encoded)
            blank = column.expand(np.asarray(text.is_null()))
            unconvertible = column.expand(column.values.isna().to_numpy()) & ~blank
            typed[spec.name] = _expanded(raw, spec, column, text, encoded[0])
            distinct[spec.name] = column
            shown = text.take(column.codes[unconvertible]) if unconvertible.any() else None
        if shown is not None:
            bad = pd.Series(shown.to_pylist(), dtype="str")
            failures.append(
                make_failures(
                    raw.index[unconvertible],
                    ErrorType.VALIDATION_FAILED,
                    spec.name,
                    f"convert_to_{spec.kind}",
                    f"{spec.name}: '" + bad.str.slice(0, 80) + f"' {_expectation(spec)}",
                )
            )
        if spec.required and blank.any():
            failures.append(
                make_failures(
                    raw.index[blank],
                    ErrorType.VALIDATION_FAILED,
                    spec.name,
                    "not_nullable",
                    f"{spec.name}: required value is missing",
                )
            )
    return Converted(pd.DataFrame(typed, index=raw.index), concat_failures(failures), distinct)


def _text(raw: pd.DataFrame, name: str) -> pa.Array:
    if name not in raw:
        return pa.nulls(len(raw), pa.string())
    return pa.array(raw[name].astype("str"), type=pa.string(), from_pandas=True)


def _encoded(spec: ColumnSpec, text: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    # Numbers are mostly distinct; codes, names and months mostly repeat. One hash pass tells.
    if spec.kind in (Kind.INTEGER, Kind.FLOAT) or len(text) < _DISTINCT_MIN_ROWS:
        return None
    encoded = pc.dictionary_encode(text, null_encoding="encode")  # a missing value is one more
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    dictionary = chunks[0].dictionary  # a chunked column's chunks all hold the one final dictionary
    if len(dictionary) * 2 > len(text) or any(len(c.dictionary) != len(dictionary) for c in chunks):
        return None
    return dictionary, np.concatenate([np.asarray(c.indices, dtype=np.intp) for c in chunks])


def _distinct(spec: ColumnSpec, dictionary: pa.Array, codes: np.ndarray) -> tuple[Distinct, pa.Array]:
    text = _stripped(dictionary)
    return Distinct(_convert_column(spec, text, pd.RangeIndex(len(text))), codes), text


def _expanded(
    raw: pd.DataFrame, spec: ColumnSpec, column: Distinct, text: pa.Array, dictionary: pa.Array
) -> pd.Series:
    if spec.kind is not Kind.TEXT:
        return pd.Series(column.values.array.take(column.codes), index=raw.index, dtype=column.values.dtype)
    if spec.name in raw and not text.null_count and text.equals(dictionary):
        return raw[spec.name].astype("str")  # nothing stripped or blanked: the raw text as it is
    return _series(text.take(column.codes), raw.index)


def _stripped(text: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _convert_column(spec: ColumnSpec, text: pa.Array, index: pd.Index) -> pd.Series:
    if spec.kind is Kind.TEXT:
        return _series(text, index)
    # Full-width digits, signs and separators (２０２４, －, ％, ，) become their ASCII forms.
    # Normalising is the costly part: a column whose values are all ASCII (most are) skips it.
    if pc.all(pc.string_is_ascii(text)).as_py() is False:
        wide = pc.utf8_normalize(text, "NFKC")
        text = pc.replace_substring_regex(wide, _MINUS_SIGNS, "-")
    if spec.kind in (Kind.INTEGER, Kind.FLOAT):
        return _parse_numbers(text, index, integer=spec.kind is Kind.INTEGER)
    if spec.kind is Kind.DATE:
        parsed = parse_date_values(text, spec.formats or ("%Y-%m-%d",))
        return pd.Series(parsed, index=index, dtype="datetime64[ns]")
    if spec.kind is Kind.BOOLEAN:
        lowered = pc.utf8_lower(text)
        flags = pd.Series(pd.NA, index=index, dtype="boolean")
        flags[np.asarray(pc.is_in(lowered, pa.array(sorted(_TRUE))).fill_null(False))] = True
        flags[np.asarray(pc.is_in(lowered, pa.array(sorted(_FALSE))).fill_null(False))] = False
        return flags
    return _series(text, index)


def _series(text: pa.Array, index: pd.Index) -> pd.Series:
    series = text.to_pandas()
    series.index = index
    return series


def _parse_numbers(values: pa.Array, index: pd.Index, integer: bool) -> pd.Series:
    try:
        # Most columns hold only plain numbers: Arrow's cast takes them in one pass.
        numbers = np.asarray(pc.cast(values, pa.float64()), dtype="float64")
        percent = np.zeros(len(numbers), bool)
    except pa.ArrowInvalid:
        numbers, percent = _parse_decorated_numbers(values)
    # Arrow's cast takes "inf" and "nan", which no business column means (the pattern refuses them too).
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    if integer:
        whole = np.equal(np.mod(numbers, 1), 0, where=~np.isnan(numbers), out=np.zeros(len(numbers), bool))
        numbers = np.where(whole & ~percent, numbers, np.nan)
    else:
        numbers = np.where(percent, numbers / 100, numbers)
    return pd.Series(numbers, index=index, dtype="float64")


def _parse_decorated_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    # Thousands separators, a % suffix or garbage: strip the decorations, cast only what is a number.
    # Only the values that are not plain numbers take the slow road.
    plain = np.asarray(pc.fill_null(pc.match_substring_regex(values, _NUMBER), True), dtype=bool)
    numbers = np.array(  # a copy: written to below
        pc.cast(pc.if_else(plain, values, pa.scalar(None, pa.string())), pa.float64()), dtype="float64"
    )
    percent = np.zeros(len(numbers), bool)
    rest = np.flatnonzero(~plain)
    cleaned = pc.replace_substring_regex(values.take(rest), _GROUPING, "")
    is_percent = pc.ends_with(cleaned, "%")
    cleaned = pc.if_else(is_percent, pc.utf8_slice_codeunits(cleaned, 0, -1), cleaned)
    valid = pc.match_substring_regex(cleaned, _NUMBER)
    numbers[rest] = np.asarray(
        pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, pa.string())), pa.float64()), dtype="float64"
    )
    percent[rest] = np.asarray(pc.fill_null(is_percent, False), dtype=bool)
    return numbers, percent


def _expectation(spec: ColumnSpec) -> str:
    if spec.kind is Kind.DATE:
        return f"is not a date in format {' or '.join(spec.formats or ('%Y-%m-%d',))}"
    if spec.kind is Kind.INTEGER:
        return "is not a whole number"
    if spec.kind is Kind.FLOAT:
        return "is not a number (or a percentage)"
    return f"is not a {spec.kind}"
