"""Dates from text by explicit formats: Arrow's fast parse where exact, pandas' exact parse elsewhere."""

from __future__ import annotations

import re
from functools import cache

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
# What pandas' regex for a numeric directive can take (%d takes " 1"; \d is any Unicode digit), and
# for whitespace in a format (Python's \s is Unicode whitespace): a superset, written for RE2.
_DIGITS = r"[\p{Nd} ]+"
_SPACE = r"[\t-\r\x{1c}-\x{1f}\x{85}\p{Z}]+"
_DIGIT_DIRECTIVES = {*_NUMERIC, "S", "y"}
_NAT = np.datetime64("NaT", "ns")
_FEW = 64  # up to this many values, each distinct one is parsed once per process
_KNOWN_MAX = 4096
_KNOWN: dict[tuple[str, ...], dict[str, np.datetime64]] = {}


def parse_dates(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """`text` parsed by the first of `formats` that takes each value exactly; NaT where none does."""
    parsed = parse_date_values(pa.array(text, type=pa.string(), from_pandas=True), formats)
    return pd.Series(parsed, index=text.index, dtype="datetime64[ns]")


def parse_date_values(values: pa.Array | pa.ChunkedArray, formats: tuple[str, ...]) -> np.ndarray:
    """Arrow text parsed as `parse_dates` does, as nanosecond datetimes (NaT where no format takes it)."""
    return _parse_values(values, formats) if len(values) > _FEW else _parse_few(values.to_pylist(), formats)


def _parse_few(texts: list[str | None], formats: tuple[str, ...]) -> np.ndarray:
    # A block's distinct months: the same few values block after block, and a bad one would walk every
    # format (with pandas' exact parse) in each block. Values seen before are looked up, the rest parsed
    # together; another thread clearing the cache only causes a miss.
    known = _KNOWN.setdefault(formats, {})
    distinct = [text for text in dict.fromkeys(texts) if text is not None]
    found = {text: seen for text in distinct if (seen := known.get(text)) is not None}
    missing = [text for text in distinct if text not in found]
    if missing:
        parsed = dict(zip(missing, _parse_values(pa.array(missing, pa.string()), formats), strict=True))
        if len(known) > _KNOWN_MAX:
            known.clear()
        known.update(parsed)
        found.update(parsed)
    return np.array([_NAT if text is None else found[text] for text in texts], dtype="datetime64[ns]")


def _parse_values(values: pa.Array | pa.ChunkedArray, formats: tuple[str, ...]) -> np.ndarray:
    parsed = np.full(len(values), _NAT)
    todo = np.flatnonzero(np.asarray(values.is_valid()))
    for fmt in formats:
        if not len(todo):
            break
        found = _parse_format(values.take(todo), fmt)
        parsed[todo] = found
        todo = todo[np.isnat(found)]
    return parsed


def _parse_format(values: pa.Array, fmt: str) -> np.ndarray:
    # Arrow parses fast but rolls impossible dates over (2024-02-30 -> 03-01) and takes unpadded or padded
    # forms alike: its result counts only where writing it back gives the text exactly. Every other
    # value that could match the format gets pandas' exact parse, so the outcome is pandas' either way.
    fast = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
    exact = np.asarray(pc.fill_null(pc.equal(written_back(fast, fmt), values), False), dtype=bool)
    result = np.where(exact, np.asarray(fast.cast(pa.timestamp("ns"))), _NAT)
    again = ~exact
    pattern = _plausible(fmt)
    if pattern is not None and again.any():
        # Text that cannot match (garbage, another format's separators) skips pandas' slow per-value path.
        again &= np.asarray(pc.fill_null(pc.match_substring_regex(values, pattern), False), dtype=bool)
    if again.any():
        rows = np.flatnonzero(again)
        text = pd.Series(values.take(rows).to_pylist(), dtype="str")
        result[rows] = in_range(pd.to_datetime(text, format=fmt, errors="coerce")).to_numpy()
    return result


@cache
def _plausible(fmt: str) -> str | None:
    """A pattern every text pandas could parse by `fmt` matches (None when the format has a directive
    that is not a number, such as %b)."""
    parts = []
    for piece in re.split(r"(%.)", fmt):
        if piece.startswith("%"):
            if piece[1:] not in _DIGIT_DIRECTIVES:
                return None
            parts.append(_DIGITS)
        else:
            parts += [_SPACE if char.isspace() else re.escape(char) for char in piece]
    return "(?i)^" + "".join(parts) + "$"


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
