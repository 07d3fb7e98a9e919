"""Excel workbooks (.xlsx, .xlsm, .xls) via python-calamine (15x faster than openpyxl here): sheet choice,
header-row detection, Excel row numbers as row_index so an operator finds each row in the workbook."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pandas as pd
from python_calamine import CalamineWorkbook

from workdata.core.engine.read.headers import header_key, normalise_header
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable, ReadOptions
from workdata.core.errors import MalformedFileError

_DETECT_WITHIN = 30  # header rows are looked for among the first rows of the sheet


def read_workbook(data: bytes, options: ReadOptions) -> RawTable:
    """Rows of the selected sheet as text; row_index is the 1-based Excel row number."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise MalformedFileError(
            "The workbook is corrupt or not an Excel file; save it again as .xlsx.",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    name, rows = _pick_sheet(book, options)
    header_at = _header_row(rows, options)
    data = rows[header_at + 1 :]
    columns = _columns(rows[header_at], data)
    header = _header_names([rows[header_at][i] for i in columns], columns)
    records, numbers = [], []
    for position, row in enumerate(data, start=header_at + 2):
        cells = [_text(row[i]) if i < len(row) else "" for i in columns]
        if any(cells):
            records.append(dict(zip(header, cells, strict=True)))
            numbers.append(position)
    if not records:
        raise MalformedFileError(f"Sheet '{name}' has a header but no data rows.")
    frame = pd.DataFrame(records, index=pd.Index(numbers, name=ROW_INDEX), dtype="str")
    frame["_sheet"] = name
    return RawTable(frame=frame, sheet=name)


def _pick_sheet(book: CalamineWorkbook, options: ReadOptions) -> tuple[str, list[list]]:
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
        return matches[0], rows_of(matches[0])
    if options.sheet_index is not None:
        if options.sheet_index >= len(names):
            raise MalformedFileError(
                f"The workbook has {len(names)} sheet(s); sheet {options.sheet_index + 1} is missing."
            )
        return names[options.sheet_index], rows_of(names[options.sheet_index])
    # Nothing configured: the sheet whose header names the most known columns (a notes sheet names none).
    candidates = [(name, rows_of(name)) for name in names]
    return max(candidates, key=lambda item: max(_scores(item[1], options), default=0))


def _scores(rows: list[list], options: ReadOptions) -> list[int]:
    """How many known column names each of the first rows holds."""
    return [
        sum(header_key(v) in options.header_names for v in row if isinstance(v, str))
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


def _header_names(cells: list, columns: list[int]) -> list[str]:
    names: list[str] = []
    for cell, column in zip(cells, columns, strict=True):
        position = column + 1
        name = normalise_header(_text(cell)) or f"column_{position}"  # blank, e.g. inside a merged cell
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
