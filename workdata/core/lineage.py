"""The lineage columns every loaded row carries (_source_file, _row_index, _file_hash, _run_id, _loaded_at,
_sheet), added to typed good rows as Arrow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from workdata.core.session import utc_now

# A workbook's row r on its k-th data sheet (0-based) is numbered k * SHEET_ROWS + r (Excel ends at
# row 1,048,576), so a file's rows never share a number and the first data sheet keeps plain Excel rows.
SHEET_ROWS = 10_000_000

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
    good: pd.DataFrame,
    file_path: str,
    file_hash: str | None,
    run_id: str | None,
    sheets: tuple[str, ...] = (),
) -> pa.Table:
    """Typed good rows (index = source row, or Excel row numbered by data sheet: SHEET_ROWS) plus the
    lineage columns, as Arrow; a workbook's rows carry the name of the sheet they came from."""
    frame = good.reset_index(names="_row_index")
    frame["_loaded_at"] = pd.Timestamp(utc_now())
    table = pa.Table.from_pandas(frame, preserve_index=False)
    text = {"_source_file": file_path, "_file_hash": file_hash, "_run_id": run_id}
    for name, value in text.items():
        table = table.append_column(name, _constant_text(value, table.num_rows))
    return table.append_column("_sheet", _sheet_names(table["_row_index"], sheets))


LINEAGE_TEXT = pa.dictionary(pa.int32(), pa.string())  # the Arrow type of with_lineage's text columns


def _constant_text(value: str | None, count: int) -> pa.Array:
    """`value` on every one of `count` rows, stored once (a 64-character hash on 50k rows is 3 MB)."""
    if value is None:
        return pa.nulls(count, LINEAGE_TEXT)
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(count, np.int32)), pa.array([value], pa.string()))


def row_label(row_index: int) -> str:
    """A row as an operator finds it: "row 34", or "row 24 of data sheet 2" in a workbook's later sheet."""
    sheet, row = divmod(int(row_index), SHEET_ROWS)
    return f"row {row}" + (f" of data sheet {sheet + 1}" if sheet else "")


def _sheet_names(row_index: pa.ChunkedArray, sheets: tuple[str, ...]) -> pa.Array:
    """Each row's sheet from its number (k * SHEET_ROWS + Excel row on the k-th data sheet)."""
    if not sheets:
        return pa.nulls(len(row_index), LINEAGE_TEXT)
    ordinal = np.asarray(row_index, dtype=np.int64) // SHEET_ROWS
    return pa.DictionaryArray.from_arrays(pa.array(ordinal.astype(np.int32)), pa.array(sheets, pa.string()))
