"""The session failure CSV: one header, appended under a cross-process lock, formula-safe cells."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from filelock import FileLock

from workdata.core.arrow import first_byte_in
from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.staged import FailedRecords

# Cells a spreadsheet would run as a formula start with one of = + - @ TAB CR (OWASP CSV injection).
_FORMULA_START = np.zeros(256, dtype=bool)
_FORMULA_START[list(b"=+-@\t\r")] = True
_HEADER = (",".join(FAILED_RECORD_COLUMNS) + "\n").encode()


def neutralise(table: pa.Table) -> pa.Table:
    """Records as Arrow text (numbers kept), cells a spreadsheet would run as a formula prefixed with '."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            columns[name] = column
            continue
        columns[name] = _formula_safe(pc.fill_null(pc.cast(column, pa.string()), "").combine_chunks())
    return pa.table(columns)


def _formula_safe(text: pa.Array) -> pa.Array:
    # One look at each value's first byte (all six are ASCII); only risky values are rewritten.
    risky = first_byte_in(text, _FORMULA_START)
    if not risky.any():
        return text
    mask = pa.array(risky)
    return pc.replace_with_mask(text, mask, pc.binary_join_element_wise("'", text.filter(mask), ""))


def csv_lines(records: FailedRecords, header: bool) -> bytes:
    """Records (contract columns) as CSV bytes, neutralised; written by Arrow, text quoted as needed."""
    sink = io.BytesIO()
    if header:
        sink.write(_HEADER)
    for part in records.slices():
        write_lines(sink, part)
    return sink.getvalue()


def write_lines(handle: BinaryIO, records: pa.Table) -> None:
    """Write records (contract columns) as CSV lines to `handle`, neutralised."""
    if records.num_rows:
        body = neutralise(records.select(list(FAILED_RECORD_COLUMNS)))
        # Straight into the file: a slice's lines are never copied into one more bytes object.
        pa_csv.write_csv(body, handle, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))


def locked(path: Path) -> FileLock:
    """The cross-process lock of one session CSV (a hidden sibling, so logs/ lists only CSVs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=120)


def append_failures(path: Path, records: FailedRecords) -> int:
    """Append records (contract columns) to the CSV at `path` under its lock; the header is written once."""
    if not len(records):
        return 0
    with locked(path):
        return append_locked(path, records)


def append_locked(path: Path, records: FailedRecords) -> int:
    """Append while the caller holds `locked(path)`; a line torn by a killed writer is dropped first.

    Records are written a slice at a time: a writer killed between slices leaves the ledger's
    failure_log_written unset, and recovery replaces whatever lines of the file it had written.
    """
    if not len(records):
        return 0
    _drop_torn_tail(path)
    header = not path.exists() or path.stat().st_size == 0
    # Whole lines while holding the lock: no torn or interleaved rows.
    with path.open("ab") as handle:
        if header:
            handle.write(_HEADER)
        for part in records.slices():
            write_lines(handle, part)
        handle.flush()
        os.fsync(handle.fileno())
    return len(records)


def replace_locked(path: Path, domain: str, source_file: str, records: FailedRecords) -> int:
    """Rewrite the CSV without any earlier lines of this file, then with `records` (caller holds the lock).

    Used when a killed process may have written some or all of the file's lines without recording that
    it did: whatever it left is replaced, so nothing is doubled or half there.
    """
    _drop_torn_tail(path)
    if not path.exists() or path.stat().st_size == 0:
        return append_locked(path, records)
    kept = pd.read_csv(path, dtype="str", keep_default_na=False)
    kept = kept[~((kept["domain"] == domain) & (kept["source_file"] == source_file))]
    temporary = path.with_name(f".{path.name}.rewrite")
    temporary.write_bytes(
        # The lines as the CSV holds them: text, already formula-safe.
        csv_lines(FailedRecords.in_memory(pa.Table.from_pandas(kept, preserve_index=False)), header=True)
    )
    os.replace(temporary, path)
    return append_locked(path, records)


def _drop_torn_tail(path: Path) -> None:
    # The torn write's file was never marked logged, so recovery appends all its records again.
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
        data = handle.seek(0) or handle.read()
        handle.truncate(data.rfind(b"\n") + 1)


def rewrite_failures(path: Path, records: FailedRecords) -> int:
    """Regenerate the CSV at `path` from `records` atomically (header even when empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = csv_lines(records, header=True)
    with locked(path):
        temporary = path.with_suffix(".csv.tmp")
        temporary.write_bytes(body)
        os.replace(temporary, path)
    return len(records)


def read_failures(path: Path) -> pd.DataFrame:
    """Read a session CSV back as text (for tests and tools)."""
    return pd.read_csv(path, dtype="str", keep_default_na=False)
