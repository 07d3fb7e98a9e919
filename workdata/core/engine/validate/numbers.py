"""Numbers from text: plain ones by Arrow's cast in one pass, decorated ones (separators, %) the slow way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.arrow import values_with_byte_in

_GROUPING = "[,\u00a0\u202f' _]"  # thousands separators: comma, (narrow) no-break space, apostrophe, space
# What float() would take, minus inf/nan, which no business column means.
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def plain_numbers(text: pa.Array, index: pd.Index, integer: bool) -> pd.Series | None:
    """The numbers when every value is a plain number as it stands (no blank, padding or decoration)."""
    # Most numeric columns are like that: Arrow's cast takes the raw text whole (it refuses spaces, blanks
    # and non-ASCII), so trimming and normalising would have nothing to do.
    numbers = None if text.null_count else _cast_whole(text)
    return None if numbers is None else _finished(numbers, np.zeros(len(numbers), bool), index, integer)


# Bytes no plain number holds: Arrow's cast takes digits, a point, signs and an exponent, nothing else.
_ODD_BYTE = np.ones(256, dtype=bool)
_ODD_BYTE[np.frombuffer(b"0123456789.+-eE", dtype=np.uint8)] = False


def split_plain_numbers(text: pa.Array, integer: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The numbers of the values made of number bytes only (NaN elsewhere) and the positions of the other
    values (blank, padded, decorated, garbage) for the slow road; None when the cast refuses a value of
    number bytes ("1.2.3")."""
    odd = values_with_byte_in(text, _ODD_BYTE, empty=True)
    if text.null_count:
        odd |= np.asarray(text.is_null())
    numbers = _cast_whole(pc.if_else(pa.array(~odd), text, pa.scalar(None, text.type)))
    if numbers is None:
        return None
    return _finished_array(numbers, np.zeros(len(numbers), bool), integer), np.flatnonzero(odd)


def parse_numbers(values: pa.Array, index: pd.Index, integer: bool) -> pd.Series:
    """Numbers from stripped text: plain, with thousands separators or as a percentage; NaN otherwise."""
    numbers = _cast_whole(values)  # most columns hold only plain numbers
    if numbers is None:
        numbers, percent = _parse_decorated_numbers(values)
    else:
        percent = np.zeros(len(numbers), bool)
    return _finished(numbers, percent, index, integer)


def _cast_whole(values: pa.Array) -> np.ndarray | None:
    # Arrow's cast takes a column of plain numbers in one pass, and refuses it whole for one other value.
    try:
        return np.asarray(pc.cast(values, pa.float64()), dtype="float64")
    except pa.ArrowInvalid:
        return None


def _finished(numbers: np.ndarray, percent: np.ndarray, index: pd.Index, integer: bool) -> pd.Series:
    return pd.Series(_finished_array(numbers, percent, integer), index=index, dtype="float64")


def _finished_array(numbers: np.ndarray, percent: np.ndarray, integer: bool) -> np.ndarray:
    # A new, writable array. Arrow's cast takes "inf" and "nan", which no business column means (the
    # pattern refuses them too).
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    if integer:
        whole = np.equal(np.mod(numbers, 1), 0, where=~np.isnan(numbers), out=np.zeros(len(numbers), bool))
        numbers = np.where(whole & ~percent, numbers, np.nan)
    else:
        numbers = np.where(percent, numbers / 100, numbers)
    return numbers


def _parse_decorated_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    # Thousands separators, a % suffix or garbage: strip the decorations, cast only what is a number.
    # Only the values that are not plain numbers take the slow road.
    plain = np.asarray(pc.fill_null(pc.match_substring_regex(values, _NUMBER), True), dtype=bool)
    numbers = np.array(  # a copy: written to below
        pc.cast(pc.if_else(plain, values, pa.scalar(None, values.type)), pa.float64()), dtype="float64"
    )
    percent = np.zeros(len(numbers), bool)
    rest = np.flatnonzero(~plain)
    cleaned = pc.replace_substring_regex(values.take(rest), _GROUPING, "")
    is_percent = pc.ends_with(cleaned, "%")
    cleaned = pc.if_else(is_percent, pc.utf8_slice_codeunits(cleaned, 0, -1), cleaned)
    valid = pc.match_substring_regex(cleaned, _NUMBER)
    numbers[rest] = np.asarray(
        pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, cleaned.type)), pa.float64()), dtype="float64"
    )
    percent[rest] = np.asarray(pc.fill_null(is_percent, False), dtype=bool)
    return numbers, percent
