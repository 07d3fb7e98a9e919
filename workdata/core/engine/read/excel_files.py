"""Excel workbooks (.xlsx, .xlsm, .xls) via python-calamine (15x faster than openpyxl here): every data
sheet, header-row detection per sheet, Excel row numbers as row_index so an operator finds each row."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd
from python_calamine import CalamineWorkbook

from workdata.core.engine.read.headers import header_key, normalise_header
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable, ReadOptions, SetAsideRow
from workdata.core.errors import MalformedFileError
from workdata.core.lineage import SHEET_ROWS
from workdata.core.records import ErrorType

_DETECT_WITHIN = 30  # header rows are looked for among the first rows of the sheet


def read_workbook(data: bytes, options: ReadOptions) -> RawTable:
    """Every data sheet's rows as text, in workbook order: a sheet whose header names the domain's required
    columns (or every sheet the domain's sheet_pattern matches, or its sheet_index), each with its own
    header row; row_index is the Excel row, numbered by data sheet (SHEET_ROWS). Other sheets are listed
    as skipped, with the reason."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise MalformedFileError(
            "The workbook is corrupt or not an Excel file; save it again as .xlsx.",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    chosen, skipped = _data_sheets(book, options)
    frames, dropped = [], []
    for ordinal, (name, rows) in enumerate(chosen):
        frame, blank = _sheet_rows(name, rows, options, ordinal * SHEET_ROWS)
        frames.append(frame)
        dropped += blank
    # A column one sheet has and another lacks is an empty cell there, as a blank cell is.
    frame = pd.concat(frames).fillna("") if len(frames) > 1 else frames[0]
    if frame.empty and not dropped:
        raise MalformedFileError(f"Sheet '{chosen[0][0]}' has a header but no data rows.")
    sheets = tuple(name for name, _ in chosen)
    return RawTable(frame=frame, set_aside=dropped, sheets=sheets, skipped_sheets=tuple(skipped))


def _sheet_rows(
    name: str, rows: list[list], options: ReadOptions, offset: int
) -> tuple[pd.DataFrame, list[SetAsideRow]]:
    """One sheet's table: its header row, its columns (under their canonical names where known), its
    rows by Excel row; blank rows inside the table are dropped (counted), those after it are not rows."""
    header_at = _header_row(rows, options)
    data = rows[header_at + 1 :]
    columns = _columns(rows[header_at], data)
    header = _header_names([rows[header_at][i] for i in columns], columns, options.header_aliases)
    cells = [[_text(row[i]) if i < len(row) else "" for i in columns] for row in data]
    last = max((n for n, row in enumerate(cells) if any(row)), default=-1)
    records, numbers, blank = [], [], []
    for position, row in enumerate(cells[: last + 1], start=header_at + 2):
        if any(row):
            records.append(dict(zip(header, row, strict=True)))
            numbers.append(offset + position)
        else:
            blank.append(
                SetAsideRow(
                    offset + position,
                    "",
                    "blank row: every cell is empty",
                    ErrorType.DROPPED_IN_PIPELINE,
                    "blank_row",
                    {"_sheet": name},
                )
            )
    index = pd.Index(numbers, name=ROW_INDEX, dtype="int64")
    frame = pd.DataFrame(records, index=index, columns=header, dtype="str")
    frame["_sheet"] = name
    return frame, blank


def _data_sheets(
    book: CalamineWorkbook, options: ReadOptions
) -> tuple[list[tuple[str, list[list]]], list[tuple[str, str]]]:
    """The sheets to read (name, rows) and those left out (name, why)."""
    names = book.sheet_names

    def rows_of(name: str) -> list[list]:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    if options.sheet_pattern:
        matches = [n for n in names if re.search(options.sheet_pattern, n)]
        if not matches:
            raise MalformedFileError(
                f"No sheet matches '{options.sheet_pattern}' (sheets: {', '.join(names)}); rename the sheet "
                "or change the domain's sheet_pattern."
            )
        why = f"its name does not match the domain's sheet_pattern '{options.sheet_pattern}'"
        return [(n, rows_of(n)) for n in matches], [(n, why) for n in names if n not in matches]
    if options.sheet_index is not None:
        if options.sheet_index >= len(names):
            raise MalformedFileError(
                f"The workbook has {len(names)} sheet(s); sheet {options.sheet_index + 1} is missing."
            )
        pinned = names[options.sheet_index]
        why = f"the domain reads only sheet {options.sheet_index + 1} (sheet_index)"
        return [(pinned, rows_of(pinned))], [(n, why) for n in names if n != pinned]
    # Nothing configured: every sheet whose header names the domain's required columns, and at least the
    # one naming the most known columns (a file whose best sheet lacks a column still fails plainly).
    sheets = [(name, rows_of(name)) for name in names]
    scores = [max(_scores(rows, options), default=0) for _, rows in sheets]
    best = max(range(len(sheets)), key=lambda i: (scores[i], -i))
    chosen, skipped = [], []
    for number, (name, rows) in enumerate(sheets):
        missing = _missing_columns(rows, options) if scores[number] else []  # its header, found once
        if number == best or (scores[number] and not missing):
            chosen.append((name, rows))
        elif not rows:
            skipped.append((name, "it is empty"))
        elif not scores[number]:
            skipped.append((name, "its header names none of the domain's columns"))
        else:
            skipped.append((name, f"its header lacks the domain's column(s) {', '.join(missing)}"))
    return chosen, skipped


def _missing_columns(rows: list[list], options: ReadOptions) -> list[str]:
    """The required columns the sheet's header row does not name (under any alias)."""
    header = rows[_header_row(rows, options)]
    named = {options.header_aliases.get(header_key(v)) for v in header if isinstance(v, str)}
    return sorted(set(options.required_columns) - named)


def _scores(rows: list[list], options: ReadOptions) -> list[int]:
    """How many known column names each of the first rows holds."""
    return [
        sum(header_key(v) in options.header_aliases for v in row if isinstance(v, str))
        for row in rows[:_DETECT_WITHIN]
    ]


def _header_row(rows: list[list], options: ReadOptions) -> int:
    if not rows:
        raise MalformedFileError("The sheet is empty; it holds no header and no rows.")
    if options.header_row is not None:
        return options.header_row - 1
    # The row naming the most known columns (a title row above it names none).
    scores = _scores(rows, options)
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] else 0


def _columns(header: list, data: list[list]) -> list[int]:
    """The sheet columns that hold the table: those with a header, and blank-headed ones holding data. The
    blank columns teams leave before or beside a table (a header starting in column C) are not columns
    of it, so they are not schema drift."""
    return [
        i
        for i, cell in enumerate(header)
        if _text(cell) or any(i < len(row) and _text(row[i]) for row in data)
    ]


def _header_names(cells: list, columns: list[int], aliases: Mapping[str, str]) -> list[str]:
    # Known headers under their canonical names, so that sheets naming a column differently line up.
    names: list[str] = []
    for cell, column in zip(cells, columns, strict=True):
        position = column + 1
        text = _text(cell)
        name = (
            aliases.get(header_key(text)) or normalise_header(text) or f"column_{position}"
        )  # blank: merged
        names.append(name if name not in names else f"{name}_{position}")
    return names


def _text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
