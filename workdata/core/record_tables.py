"""FailedRecord rows as Arrow tables: their typed schema, their order, and the reasons they give."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.lineage import row_label
from workdata.core.records import FAILED_RECORD_COLUMNS

_ORDER = [("row_index", "ascending"), ("error_type", "ascending"), ("column", "ascending")]


def _record_type(name: str) -> pa.DataType:
    return pa.int64() if name in ("row_index", "attempt") else pa.string()


# The contract's columns in order, plus the file_hash the store keeps beside them.
RECORD_SCHEMA = pa.schema([(name, _record_type(name)) for name in (*FAILED_RECORD_COLUMNS, "file_hash")])
NO_RECORDS = RECORD_SCHEMA.empty_table()


def in_record_order(records: pa.Table) -> pa.Table:
    """Records by row, then error type and column; Arrow's sort is stable and puts nulls last."""
    return records.take(pc.sort_indices(records, sort_keys=_ORDER))


def records_from_frame(frame: pd.DataFrame) -> pa.Table:
    """Records read as a frame (from the store or a CSV) as an Arrow table with the records' types."""
    schema = pa.schema([(name, _record_type(name)) for name in frame.columns])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def reason_counts(table: pa.Table) -> Counter[str]:
    """How many records give each reason ("error type column check"); counts of parts add up."""
    counts: Counter[str] = Counter()
    if not table.num_rows:
        return counts
    # Counted per (type, column, check) by Arrow; only the few distinct reasons become text.
    keys = ["error_type", "column", "check"]
    grouped = table.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
    found = (grouped[name].to_pylist() for name in [*keys, "count_all"])
    for error_type, column, check, count in zip(*found, strict=True):
        counts[f"{error_type} {'-' if column is None else column} {check or ''}".strip()] += count
    return counts


def most_frequent(counts: Counter[str], limit: int = 5) -> tuple[tuple[str, int], ...]:
    """The `limit` largest counts, ties by reason: the same answer however the counts were added up."""
    ordered = sorted(((-int(v), str(k)) for k, v in counts.items()))[:limit]
    return tuple((reason, -count) for count, reason in ordered)


def failure_line(row_index: int, message: str) -> str:
    """One failure as the outcome quotes it: "row N: message" (a later data sheet's row by sheet)."""
    return f"{row_label(row_index)}: {message}"
