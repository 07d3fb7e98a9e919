"""Rows that hold no data on purpose, set aside before validation as DROPPED_IN_PIPELINE: blank or filler
rows (every cell empty), totals and subtotal rows (a marker such as 合计 or Total in the first cells) and
a header row repeated mid-file. Found with Arrow on one or three columns, the rest looked at only for the
few candidate rows, so a file without such rows pays one pass over its first columns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.arrow import first_byte_in, text_buffers
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
    leading = [_text(frame, column) for column in columns[:MARKER_COLUMNS]]  # each read once
    reasons: dict[int, tuple[str, str]] = {}  # position -> (check, reason)
    for position in _blank(frame, columns, leading[0]):
        reasons[position] = ("blank_row", "blank row: every cell is empty")
    for position, cell in _totals(leading, total_markers):
        reasons.setdefault(position, ("totals_row", f"totals row ('{cell}'), not data"))
    for position in _repeated_header(frame, columns, leading[0]):
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
    values = pa.array(frame[column], from_pandas=True)  # no copy: the readers' frames hold Arrow text
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return pc.fill_null(values, "")


def _byte_table(texts: Iterable[str]) -> np.ndarray:
    """256 booleans: the first UTF-8 byte of each text, in either case."""
    table = np.zeros(256, dtype=bool)
    for text in texts:
        for variant in (text.lower(), text.upper()):
            if variant:
                table[variant.encode()[0]] = True
    return table


_SPACE_STARTS = _byte_table([" ", "\t", "\r", "\u3000"])  # a cell that may be blank, or start blank


def _blank(frame: pd.DataFrame, columns: list[str], first: pa.Array) -> list[int]:
    # Candidates: rows whose first cell is empty or starts with a space (rare); then every cell of those.
    bounds, _ = text_buffers(first)
    candidates = np.flatnonzero((bounds[1:] == bounds[:-1]) | first_byte_in(first, _SPACE_STARTS))
    if not len(candidates):
        return []
    rows = frame.iloc[candidates][columns]
    blank = rows.map(lambda v: v is None or not str(v).strip()).all(axis=1).to_numpy()
    return candidates[blank].tolist()


def _totals(leading: list[pa.Array], markers: tuple[str, ...]) -> list[tuple[int, str]]:
    if not markers:
        return []
    # A cell that is a marker, whole (case-insensitive), maybe with a colon or a bracketed note after it
    # ("合计：", "Total (March)"); "Total Energies" is a name, not a totals row. The pattern only runs on
    # cells whose first byte may start a marker: most cells of most files are never matched.
    alternatives = "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))
    space, note = r"[\s\x{3000}]*", r"(?:[(（][^)）]*[)）])?"  # RE2: \s is ASCII; U+3000 is CJK space
    pattern = rf"(?i)^{space}(?:{alternatives}){space}[:：]?{space}{note}{space}$"
    starts = _byte_table(m.strip()[:1] for m in markers) | _SPACE_STARTS
    found: dict[int, str] = {}
    for text in leading:
        candidates = np.flatnonzero(first_byte_in(text, starts))
        if not len(candidates):
            continue
        cells = text.take(pa.array(candidates))
        hits = np.asarray(pc.fill_null(pc.match_substring_regex(cells, pattern), False))
        for position, cell in zip(
            candidates[hits].tolist(), cells.filter(pa.array(hits)).to_pylist(), strict=True
        ):
            found.setdefault(position, cell.strip())
    return sorted(found.items())


def _repeated_header(frame: pd.DataFrame, columns: list[str], first: pa.Array) -> list[int]:
    # Candidates: rows whose first cell reads as the first column's name; then every column compared.
    name = str(columns[0])
    candidates = np.flatnonzero(first_byte_in(first, _byte_table([name]) | _SPACE_STARTS))
    if not len(candidates):
        return []
    cells = pc.utf8_lower(pc.utf8_trim_whitespace(first.take(pa.array(candidates))))
    candidates = candidates[np.asarray(pc.equal(cells, name))]
    names = [header_key(c) for c in columns]
    needed = max(1, (len(columns) + 1) // 2)
    repeated = []
    for position in candidates.tolist():
        cells = frame.iloc[position][columns].tolist()
        same = sum(
            header_key("" if v is None else str(v)) == key for v, key in zip(cells, names, strict=True)
        )
        if same >= needed:
            repeated.append(position)
    return repeated
