"""Failures found while validating a block: one row per failing row and reason, in fixed columns, as Arrow
(a block's few hundred failures would cost pandas' per-operation overhead many times over)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.records import ErrorType

FAILURE_SCHEMA = pa.schema(
    [
        ("row_index", pa.int64()),
        ("error_type", pa.string()),
        ("column", pa.string()),
        ("check", pa.string()),
        ("message", pa.string()),
    ]
)
FAILURE_COLUMNS = tuple(FAILURE_SCHEMA.names)
_NO_FAILURES = FAILURE_SCHEMA.empty_table()
_SHOWN_CHARS = 80  # of an offending value, in a message


def empty_failures() -> pa.Table:
    """A failures table with no rows and the fixed columns."""
    return _NO_FAILURES


def concat_failures(parts: list[pa.Table]) -> pa.Table:
    """The parts as one failures table; empty parts (most checks pass) are left out, not concatenated."""
    found = [part for part in parts if part.num_rows]
    if not found:
        return empty_failures()
    return found[0] if len(found) == 1 else pa.concat_tables(found)


def make_failures(
    rows: pd.Index | np.ndarray,
    error_type: ErrorType,
    column: str | None,
    check: str,
    messages: pa.Array | str,
) -> pa.Table:
    """Failures for `rows`, one per row, sharing type, column and check."""
    count = len(rows)
    return pa.Table.from_arrays(
        [
            pa.array(np.asarray(rows, dtype=np.int64)),
            repeated_text(str(error_type), count),
            repeated_text(column, count),
            repeated_text(check, count),
            repeated_text(messages, count) if isinstance(messages, str) else flat(messages),
        ],
        schema=FAILURE_SCHEMA,
    )


def value_messages(before: str, values: pd.Series | pa.Array | pa.ChunkedArray, after: str) -> pa.Array:
    """`before` + each value's text (its first 80 characters) + `after`; null where the value is missing."""
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("str"), type=pa.string(), from_pandas=True)
    shown = pc.utf8_slice_codeunits(pc.cast(values, pa.string()), 0, _SHOWN_CHARS)
    return flat(pc.binary_join_element_wise(before, shown, after, ""))


def repeated_text(value: str | None, count: int) -> pa.Array:
    """`value` (or null) as a text column of `count` rows."""
    return pa.repeat(pa.scalar(value, pa.string()), count)


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One plain array (pandas hands its Arrow-backed text over as chunks; concat_arrays takes arrays)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
