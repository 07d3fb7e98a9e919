"""Turn row failures and malformed rows into FailedRecord rows (contract columns, raw data as JSON)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.failure_frames import flat, repeated_text
from workdata.core.outcome import RunContext
from workdata.core.raw_json import text_rows_as_json
from workdata.core.readers import RawTable
from workdata.core.records import FAILED_RECORD_COLUMNS, ErrorType
from workdata.core.session import iso_utc

_NO_RECORDS = pd.DataFrame(
    {
        name: pd.Series(dtype="int64" if name in ("row_index", "attempt") else "str")
        for name in (*FAILED_RECORD_COLUMNS, "file_hash")
    }
)


def build_failed_records(
    domain: str,
    source_file: str,
    file_hash: str,
    raw: RawTable,
    failures: pa.Table,
    run: RunContext,
) -> pd.DataFrame:
    """One row per failing row and reason (FAILURE_SCHEMA), ordered by row, in contract column order plus
    file_hash."""
    if not failures.num_rows and not raw.malformed:
        return _NO_RECORDS
    # Built column by column in Arrow and handed to pandas once: a block's few hundred records cost
    # pandas' per-operation overhead many times over when assembled as frames.
    rows = np.asarray(failures["row_index"], dtype="int64")
    unique = pd.unique(rows)
    raw_json = flat(pa.array(raw_rows_as_json(raw.frame.loc[unique]), type=pa.string(), from_pandas=True))
    failed = {
        "row_index": pa.array(rows, pa.int64()),
        **{name: flat(failures[name]) for name in ("error_type", "column", "check", "message")},
        "raw_data": raw_json.take(pa.array(pd.Index(unique).get_indexer(rows))),
    }
    malformed = {
        "row_index": pa.array([m.row_index for m in raw.malformed], pa.int64()),
        "error_type": repeated_text(str(ErrorType.MALFORMED_ROW), len(raw.malformed)),
        "column": pa.nulls(len(raw.malformed), pa.string()),
        "check": repeated_text("parse", len(raw.malformed)),
        "message": pa.array([f"row could not be parsed: {m.reason}" for m in raw.malformed], pa.string()),
        "raw_data": pa.array(
            [json.dumps({"_raw_line": _capped(m.raw_line)}, ensure_ascii=False) for m in raw.malformed],
            pa.string(),
        ),
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
    # Arrow's sort is stable and puts nulls last, as pandas' sort_values(kind="stable") did.
    order = [("row_index", "ascending"), ("error_type", "ascending"), ("column", "ascending")]
    table = table.take(pc.sort_indices(table, sort_keys=order))
    return table.select([*FAILED_RECORD_COLUMNS, "file_hash"]).to_pandas()


MAX_RAW_CHARS = 64 * 1024


def raw_rows_as_json(raw_rows: pd.DataFrame) -> pd.Series:
    """Each raw row as one JSON object (column -> text as read), values capped; index kept."""
    if raw_rows.empty:
        return pd.Series([], index=raw_rows.index, dtype="str")
    if not raw_rows.columns.is_unique:
        return pd.Series(
            [
                json.dumps({k: _capped(v) for k, v in r.items()}, ensure_ascii=False)
                for _, r in raw_rows.iterrows()
            ],
            index=raw_rows.index,
        )
    long = [name for name in raw_rows.columns if _may_be_long(raw_rows[name])]
    capped = raw_rows.assign(**{name: _capped_column(raw_rows[name]) for name in long}) if long else raw_rows
    built = text_rows_as_json(capped)  # Arrow, column by column: ~5x faster than pandas' writer
    return built if built is not None else _pandas_json(capped)


def _pandas_json(rows: pd.DataFrame) -> pd.Series:
    # pandas writes JSON in C, far faster than json.dumps per row; it escapes '/' as '\/', which is
    # valid JSON but noisy in a CSV, so that escape is undone (safe: '\/' only ever comes from a '/').
    lines = rows.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    return pd.Series(lines, index=rows.index, dtype="str").str.replace("\\/", "/", regex=False)


def _may_be_long(column: pd.Series) -> bool:
    # One Arrow pass over the bytes (never fewer than the characters) spares most columns pandas' check.
    try:
        longest = pc.max(pc.binary_length(pa.array(column, type=pa.string(), from_pandas=True))).as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True
    return longest is not None and longest > MAX_RAW_CHARS


def _capped_column(column: pd.Series) -> pd.Series:
    long = column.astype("str").str.len() > MAX_RAW_CHARS
    return column.where(~long, column[long].map(_capped)) if long.any() else column


def _capped(value: object) -> object:
    # A 200 MB line must not become a 200 MB failure-log cell: keep the start and say how much was cut.
    if isinstance(value, str) and len(value) > MAX_RAW_CHARS:
        return f"{value[:MAX_RAW_CHARS]}…[{len(value) - MAX_RAW_CHARS} more characters not stored]"
    return value


def to_arrow(records: pd.DataFrame) -> pa.Table:
    """Arrow table with explicit types, ready for DuckDB."""
    schema = pa.schema(
        [(name, pa.int64() if name in ("row_index", "attempt") else pa.string()) for name in records.columns]
    )
    return pa.Table.from_pandas(records, schema=schema, preserve_index=False)


def top_reasons(records: pd.DataFrame, limit: int = 5) -> tuple[tuple[str, int], ...]:
    """The most frequent (error type, column, check) reasons with their counts."""
    return most_frequent(reason_counts(records), limit)


def reason_counts(records: pd.DataFrame) -> pd.Series:
    """How many records give each reason ("error type column check"); counts of parts add up."""
    if records.empty:
        return pd.Series([], dtype="int64")
    reason = (
        records["error_type"].astype(str)
        + " "
        + records["column"].fillna("-").astype(str)
        + " "
        + records["check"].fillna("").astype(str)
    )
    return reason.str.strip().value_counts()


def most_frequent(counts: pd.Series, limit: int = 5) -> tuple[tuple[str, int], ...]:
    """The `limit` largest counts, ties by reason: the same answer however the counts were added up."""
    ordered = sorted(((-int(v), str(k)) for k, v in counts.items()))[:limit]
    return tuple((reason, -count) for count, reason in ordered)


def first_failure(records: pd.DataFrame) -> str:
    """The first record (records are in row order) as "row N: message"; empty without records."""
    return failure_line(records["row_index"].iloc[0], records["message"].iloc[0]) if len(records) else ""


def failure_line(row_index: int, message: str) -> str:
    """One failure as the outcome quotes it: "row N: message"."""
    return f"row {row_index}: {message}"
