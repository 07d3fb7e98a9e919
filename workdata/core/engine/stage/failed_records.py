"""Turn row failures and malformed rows into FailedRecord rows (contract columns, raw data as JSON)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.engine.read.raw_table import RawTable, SetAsideRow
from workdata.core.engine.stage.raw_json import json_objects, json_strings
from workdata.core.engine.validate.row_failures import flat, repeated_text
from workdata.core.outcome import RunContext
from workdata.core.record_tables import NO_RECORDS, RECORD_SCHEMA, in_record_order
from workdata.core.session import iso_utc


def build_failed_records(
    domain: str,
    source_file: str,
    file_hash: str,
    raw: RawTable,
    failures: pa.Table,
    run: RunContext,
) -> pa.Table:
    """One record per failing row and reason (FAILURE_SCHEMA) and per malformed row, ordered by row, in
    contract column order plus file_hash (RECORD_SCHEMA)."""
    if not failures.num_rows and not raw.set_aside:
        return NO_RECORDS
    # Built column by column in Arrow and kept so to the database and the CSV: a block's few hundred
    # records would cost pandas' per-operation overhead many times over.
    rows = np.asarray(failures["row_index"], dtype="int64")
    unique = pd.unique(rows)
    raw_json = raw_rows_as_json(raw.frame, raw.frame.index.get_indexer(unique))
    failed = {
        "row_index": pa.array(rows, pa.int64()),
        **{name: flat(failures[name]) for name in ("error_type", "column", "check", "message")},
        "raw_data": raw_json.take(pa.array(pd.Index(unique).get_indexer(rows))),
    }
    aside = raw.set_aside
    malformed = {
        "row_index": pa.array([m.row_index for m in aside], pa.int64()),
        "error_type": pa.array([str(m.error_type) for m in aside], pa.string()),
        "column": pa.nulls(len(aside), pa.string()),
        "check": pa.array([m.check for m in aside], pa.string()),
        "message": pa.array([_set_aside_message(m) for m in aside], pa.string()),
        "raw_data": _set_aside_json(aside),
    }
    table = pa.table({name: pa.concat_arrays([failed[name], malformed[name]]) for name in failed})
    constants = {
        "session_id": run.session_id,
        "timestamp": iso_utc(),
        "domain": domain,
        "source_file": source_file,
        "run_id": run.run_id,
        "file_hash": file_hash,
    }
    for name, value in constants.items():
        table = table.append_column(name, repeated_text(value, table.num_rows))
    table = table.append_column("attempt", pa.array(np.full(table.num_rows, run.attempt, dtype="int64")))
    return in_record_order(table).select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)


MAX_RAW_CHARS = 64 * 1024


def raw_rows_as_json(frame: pd.DataFrame, positions: np.ndarray) -> pa.Array:
    """The rows at `positions` as JSON objects (column -> text as read), long values capped."""
    if not len(positions):
        return pa.array([], pa.string())
    if frame.columns.is_unique:
        try:
            # Only the failing rows are taken, in Arrow: no pandas frame of them is ever built.
            columns = [_capped_text(_taken(frame[name], positions)) for name in frame.columns]
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            columns = None  # not text (a typed frame): pandas' writer
        if columns is not None:
            return json_objects(list(frame.columns), columns)
        lines = _pandas_json(frame.iloc[positions].map(_capped))
    else:
        lines = [
            json.dumps({k: _capped(v) for k, v in r.items()}, ensure_ascii=False)
            for _, r in frame.iloc[positions].iterrows()
        ]
    return pa.array(lines, pa.string())


def _set_aside_message(row: SetAsideRow) -> str:
    return row.reason if row.dropped else f"row could not be parsed: {row.reason}"


def _set_aside_json(rows: list[SetAsideRow]) -> pa.Array:
    # Malformed rows keep their line as read; rows dropped from a parsed table keep their cells.
    if all(row.cells is None for row in rows):
        return _raw_lines_as_json([row.raw_line for row in rows])
    return pa.array(
        [
            json.dumps(
                {"_raw_line": r.raw_line} if r.cells is None else {k: _capped(v) for k, v in r.cells.items()},
                ensure_ascii=False,
            )
            for r in rows
        ],
        pa.string(),
    )


def _raw_lines_as_json(lines: list[str]) -> pa.Array:
    # As json.dumps({"_raw_line": line}) writes it (with its space), but in one pass for all lines.
    text = json_strings(_capped_text(pa.array(lines, pa.string())))
    return pc.binary_join_element_wise('{"_raw_line": ', text, "}", "")


def _taken(column: pd.Series, positions: np.ndarray) -> pa.Array:
    taken = pa.array(column, from_pandas=True).take(pa.array(positions))
    return flat(taken.cast(pa.string()) if pa.types.is_large_string(taken.type) else taken)


def _pandas_json(rows: pd.DataFrame) -> list[str]:
    # pandas writes JSON in C, far faster than json.dumps per row; it escapes '/' as '\/', which is
    # valid JSON but noisy in a CSV, so that escape is undone (safe: '\/' only ever comes from a '/').
    lines = rows.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    return [line.replace("\\/", "/") for line in lines]


def _capped_text(values: pa.Array) -> pa.Array:
    if not pa.types.is_string(values.type):
        raise pa.ArrowTypeError(f"not text: {values.type}")
    # Bytes are never fewer than characters: one pass over the lengths spares most columns the count.
    if (pc.max(pc.binary_length(values)).as_py() or 0) <= MAX_RAW_CHARS:
        return values
    long = pc.fill_null(pc.greater(pc.utf8_length(values), MAX_RAW_CHARS), False)
    if not pc.any(long).as_py():
        return values
    capped = [_capped(value) for value in values.filter(long).to_pylist()]
    return pc.replace_with_mask(values, long, pa.array(capped, pa.string()))


def _capped(value: object) -> object:
    # A 200 MB line must not become a 200 MB failure-log cell: keep the start and say how much was cut.
    if isinstance(value, str) and len(value) > MAX_RAW_CHARS:
        return f"{value[:MAX_RAW_CHARS]}…[{len(value) - MAX_RAW_CHARS} more characters not stored]"
    return value
