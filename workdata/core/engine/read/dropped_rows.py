"""Rows that hold no data on purpose, set aside before validation as DROPPED_IN_PIPELINE: blank or filler
rows (every cell empty), totals and subtotal rows (a marker such as 合计 or Total in the first cells) and
a header row repeated mid-file. Found with Arrow on one or three columns, the rest looked at only for the
few candidate rows, so a file without such rows pays one pass over its first columns."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.engine.read.headers import header_key
from workdata.core.engine.read.raw_table import RawTable, SetAsideRow
from workdata.core.records import ErrorType

MARKER_COLUMNS = 3  # totals markers are looked for in this many leading columns


def drop_rows(raw: RawTable, total_markers: tuple[str, ...]) -> RawTable:
    """`raw` less its blank, filler, totals and repeated-header rows, which join its set-aside rows."""
    frame = raw.frame
    columns = [c for c in frame.columns if not str(c).startswith("_")]  # _sheet is the reader's, not data
    if frame.empty or not columns:
        return raw
    reasons: dict[int, tuple[str, str]] = {}  # position -> (check, reason)
    for position in _blank(frame, columns):
        reasons[position] = ("blank_row", "blank row: every cell is empty")
    for position, cell in _totals(frame, columns[:MARKER_COLUMNS], total_markers):
        reasons.setdefault(position, ("totals_row", f"totals row ('{cell}'), not data"))
    for position in _repeated_header(frame, columns):
        reasons.setdefault(position, ("repeated_header", "the header row repeated mid-file, not data"))
    if not reasons:
        return raw
    positions = np.array(sorted(reasons), dtype=np.int64)
    taken = frame.iloc[positions]
    dropped = [
        SetAsideRow(
            int(number),
            "",
            reasons[position][1],
            ErrorType.DROPPED_IN_PIPELINE,
            reasons[position][0],
            {str(k): "" if v is None else str(v) for k, v in row.items()},
        )
        for position, number, row in zip(
            positions.tolist(), taken.index, taken.to_dict("records"), strict=True
        )
    ]
    kept = frame.drop(index=frame.index[positions])
    set_aside = sorted([*raw.set_aside, *dropped], key=lambda m: m.row_index)
    return replace(raw, frame=kept, set_aside=set_aside)


def _text(frame: pd.DataFrame, column: str) -> pa.Array:
    values = pa.array(frame[column], from_pandas=True)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return pc.fill_null(values, "")


def _blank(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    # Candidates: rows whose first cell is blank (rare); then every other cell of those rows.
    first = pc.utf8_trim_whitespace(_text(frame, columns[0]))
    candidates = np.flatnonzero(np.asarray(pc.equal(first, "")))
    if not len(candidates):
        return []
    rest = frame.iloc[candidates][columns[1:]]
    blank = rest.map(lambda v: v is None or not str(v).strip()).all(axis=1).to_numpy()
    return candidates[blank].tolist()


def _totals(frame: pd.DataFrame, columns: list[str], markers: tuple[str, ...]) -> list[tuple[int, str]]:
    if not markers:
        return []
    # A cell that is a marker, whole (case-insensitive), maybe with a colon or a bracketed note after it
    # ("合计：", "Total (March)"); "Total Energies" is a name, not a totals row.
    alternatives = "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))
    space, note = r"[\s\x{3000}]*", r"(?:[(（][^)）]*[)）])?"  # RE2: \s is ASCII; U+3000 is CJK space
    pattern = rf"(?i)^{space}(?:{alternatives}){space}[:：]?{space}{note}{space}$"
    found: dict[int, str] = {}
    for column in columns:
        text = _text(frame, column)
        hits = np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring_regex(text, pattern), False)))
        for position in hits.tolist():
            found.setdefault(position, text[position].as_py().strip())
    return sorted(found.items())


def _repeated_header(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    # Candidates: rows whose first cell reads as the first column's name; then every column compared.
    first = pc.utf8_lower(pc.utf8_trim_whitespace(_text(frame, columns[0])))
    candidates = np.flatnonzero(np.asarray(pc.equal(first, str(columns[0]))))
    if not len(candidates):
        return []
    names = [header_key(c) for c in columns]
    needed = max(1, (len(columns) + 1) // 2)
    repeated = []
    for position in candidates.tolist():
        cells = frame.iloc[position][columns].tolist()
        same = sum(
            header_key("" if v is None else str(v)) == name for v, name in zip(cells, names, strict=True)
        )
        if same >= needed:
            repeated.append(position)
    return repeated
