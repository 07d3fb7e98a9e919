"""The lineage columns every loaded row carries (_source_file, _row_index, _file_hash, _run_id, _loaded_at,
_sheet), added to typed good rows as Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from workdata.core.session import utc_now

# The warehouse columns they become, in this order, after the domain's own.
LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_row_index", "BIGINT"),
    ("_file_hash", "VARCHAR"),
    ("_run_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMPTZ"),
    ("_sheet", "VARCHAR"),
)


def with_lineage(
    good: pd.DataFrame, file_path: str, file_hash: str | None, run_id: str | None, sheet: str | None = None
) -> pa.Table:
    """Typed good rows (index = source row, or Excel row of `sheet`) plus the lineage columns, as Arrow."""
    frame = good.reset_index(names="_row_index")
    frame["_loaded_at"] = pd.Timestamp(utc_now())
    table = pa.Table.from_pandas(frame, preserve_index=False)
    text = {"_sheet": sheet, "_source_file": file_path, "_file_hash": file_hash, "_run_id": run_id}
    for name, value in text.items():
        table = table.append_column(name, _constant_text(value, table.num_rows))
    return table


LINEAGE_TEXT = pa.dictionary(pa.int32(), pa.string())  # the Arrow type of with_lineage's text columns


def _constant_text(value: str | None, count: int) -> pa.Array:
    """`value` on every one of `count` rows, stored once (a 64-character hash on 50k rows is 3 MB)."""
    if value is None:
        return pa.nulls(count, LINEAGE_TEXT)
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(count, np.int32)), pa.array([value], pa.string()))
