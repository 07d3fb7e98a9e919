"""Any inbox file to raw text rows with their 1-based source row numbers: the reader for its format."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.engine.read.csv_files import blank_line, read_csv
from workdata.core.engine.read.headers import normalise_header
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable, ReadOptions, SetAsideRow, finish_table
from workdata.core.engine.read.sources import open_source
from workdata.core.errors import MalformedFileError


def read_raw(path: Path, options: ReadOptions | None = None) -> RawTable:
    """Read any supported file into a RawTable; raise MalformedFileError for whole-file problems."""
    options = options or ReadOptions()
    if path.stat().st_size == 0:
        raise MalformedFileError("The file is empty; it holds no header and no rows.")
    suffix, data = open_source(path, options.max_bytes)
    reader = READERS.get(suffix)
    if reader is None:
        raise MalformedFileError(
            f"Files of type '{suffix or path.name}' are not supported; use CSV, JSONL, Parquet or Excel "
            "(.xlsx, .xlsm, .xls), optionally as .gz or .zip."
        )
    if not data:
        raise MalformedFileError("The file is empty; it holds no header and no rows.")
    return reader(data, options)


def read_jsonl(data: bytes, options: ReadOptions) -> RawTable:
    """JSON Lines: one object per line; a blank line is dropped and anything else a malformed SetAsideRow."""
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    malformed: list[SetAsideRow] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            malformed.append(blank_line(number, ""))
            continue
        text = line.decode("utf-8", "backslashreplace")
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            malformed.append(SetAsideRow(number, text, f"not a JSON object: {exc}"))
            continue
        except RecursionError:
            # Nesting deeper than Python's parser goes: bad content on this line, not a crash to retry.
            malformed.append(SetAsideRow(number, text[:2000], "JSON nested too deeply to read"))
            continue
        if not isinstance(record, dict):
            malformed.append(SetAsideRow(number, text, "line is JSON but not an object"))
            continue
        rows.append({normalise_header(str(k)): _json_text(v) for k, v in record.items()})
        numbers.append(number)
    if not rows and all(m.dropped for m in malformed):
        raise MalformedFileError("The file holds no JSON rows.")
    frame = pd.DataFrame(rows, index=pd.Index(numbers, name=ROW_INDEX), dtype="str").fillna("")
    return finish_table(frame, malformed)


def _json_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def read_parquet(data: bytes, options: ReadOptions) -> RawTable:
    """Parquet: every column rendered as text; a corrupt or truncated file is a MalformedFileError."""
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise MalformedFileError(
            "The Parquet file is truncated or corrupt; export it again.", detail=str(exc)
        ) from exc
    columns = {normalise_header(n): _as_text(table[n]) for n in table.column_names}
    frame = pa.table(columns).to_pandas().fillna("")
    frame.index = pd.Index(range(1, table.num_rows + 1), name=ROW_INDEX)
    return finish_table(frame, [])


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as text; nested values (structs, lists, maps) as their JSON text."""
    kind = column.type
    if pa.types.is_nested(kind) or (pa.types.is_dictionary(kind) and pa.types.is_nested(kind.value_type)):
        values = [
            None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in column.to_pylist()
        ]
        return pa.chunked_array([pa.array(values, pa.string())])
    return column.cast(pa.string())


def _read_workbook(data: bytes, options: ReadOptions) -> RawTable:
    from workdata.core.engine.read.excel_files import read_workbook  # calamine is only loaded for workbooks

    return read_workbook(data, options)


READERS: dict[str, Callable[[bytes, ReadOptions], RawTable]] = {
    ".csv": read_csv,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".parquet": read_parquet,
    ".xlsx": _read_workbook,
    ".xlsm": _read_workbook,  # macro-enabled: the same workbook, its macros never run or read
    ".xls": _read_workbook,  # Excel 97-2003
}
