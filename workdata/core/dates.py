"""Dates from text by explicit formats: Arrow's fast parse where exact, pandas' exact parse elsewhere."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Directives whose canonical text is a zero-padded number: written back without strftime.
_NUMERIC = {
    "Y": (pc.year, 4),
    "m": (pc.month, 2),
    "d": (pc.day, 2),
    "H": (pc.hour, 2),
    "M": (pc.minute, 2),
}  # not %S: Arrow writes nanosecond timestamps' seconds with a fraction


def parse_dates(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """`text` parsed by the first of `formats` that takes each value exactly; NaT where none does."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed[todo] = _parse_format(text[todo], fmt)
    return parsed


def _parse_format(text: pd.Series, fmt: str) -> pd.Series:
    # Arrow parses fast but rolls impossible dates over (2024-02-30 -> 03-01) and takes unpadded or padded
    # forms alike: its result counts only where writing it back gives the text exactly. Every other
    # value gets pandas' exact parse, so the outcome is pandas' either way.
    values = pa.array(text, type=pa.string(), from_pandas=True)
    fast = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
    exact = pc.fill_null(pc.equal(written_back(fast, fmt), values), False)
    result = pd.Series(np.asarray(fast.cast(pa.timestamp("ns"))), index=text.index, dtype="datetime64[ns]")
    again = ~np.asarray(exact, dtype=bool)
    if again.any():
        result[again] = in_range(pd.to_datetime(text[again], format=fmt, errors="coerce"))
    return result


def in_range(parsed: pd.Series) -> pd.Series:
    """Nanosecond dates; NaT for those outside 1677-2262 (pandas 3 parses year 0 or 1 at a coarser unit)."""
    # Assigning such a date into a nanosecond column raised OutOfBoundsDatetime and failed the whole file
    # (found by the property test: '/1' read as %Y/%m is year 0).
    inside = parsed.between(pd.Timestamp.min, pd.Timestamp.max)
    return parsed.where(inside).astype("datetime64[ns]")


def written_back(stamps: pa.Array, fmt: str) -> pa.Array:
    """`stamps` formatted by `fmt`, as strftime would write them."""
    pieces = re.split(r"(%.)", fmt)
    if any(p.startswith("%") and p[1:] not in _NUMERIC for p in pieces):
        return pc.strftime(stamps, format=fmt)
    # strftime costs ~0.7 s per million values; padded numbers joined with the literals cost ~0.05 s.
    parts = []
    for piece in pieces:
        if piece.startswith("%"):
            field, width = _NUMERIC[piece[1:]]
            parts.append(pc.utf8_lpad(pc.cast(field(stamps), pa.string()), width, "0"))
        elif piece:
            parts.append(pa.scalar(piece, pa.string()))
    return pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
