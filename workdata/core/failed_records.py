"""Turn row failures and malformed rows into FailedRecord rows (contract columns, raw data as JSON)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    failures: pd.DataFrame,
    run: RunContext,
) -> pd.DataFrame:
    """One row per failing row and reason, ordered by row, in contract column order plus file_hash."""
    if failures.empty and not raw.malformed:
        return _NO_RECORDS
    rows = failures["row_index"].astype("int64")
    raw_json = raw_rows_as_json(raw.frame.loc[rows.unique()])
    parsed = failures.assign(row_index=rows, raw_data=rows.map(raw_json).to_numpy())
    malformed = pd.DataFrame(
        {
            "row_index": [m.row_index for m in raw.malformed],
            "error_type": str(ErrorType.MALFORMED_ROW),
            "column": None,
            "check": "parse",
            "message": [f"row could not be parsed: {m.reason}" for m in raw.malformed],
            "raw_data": [
                json.dumps({"_raw_line": _capped(m.raw_line)}, ensure_ascii=False) for m in raw.malformed
            ],
        }
    )
    records = pd.concat([parsed, malformed], ignore_index=True)
    records = records.assign(
        session_id=run.session_id,
        timestamp=iso_utc(),
        domain=domain,
        source_file=source_file,
        run_id=run.run_id,
        attempt=run.attempt,
        file_hash=file_hash,
    )
    # Arrow-backed text: a third of the size of Python string objects, and written to Parquet as is.
    text = {name: "str" for name in records.columns if name not in ("row_index", "attempt")}
    records = records.astype({"row_index": "int64", "attempt": "int64", **text})
    records = records.sort_values(["row_index", "error_type", "column"], kind="stable")
    return records[[*FAILED_RECORD_COLUMNS, "file_hash"]].reset_index(drop=True)


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
