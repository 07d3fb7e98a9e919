"""The session failure CSV: one header, appended under a cross-process lock, formula-safe cells."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from filelock import FileLock

from workdata.core.record_spill import SpilledRecords
from workdata.core.records import FAILED_RECORD_COLUMNS

# Cells a spreadsheet would run as a formula start with one of = + - @ TAB CR (OWASP CSV injection).
_FORMULA_START = r"^[=+\-@\t\r]"
_HEADER = (",".join(FAILED_RECORD_COLUMNS) + "\n").encode()


def neutralise(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow text (numbers kept), cells a spreadsheet would run as a formula prefixed with '."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "iufb":
            columns[name] = pa.array(column)
            continue
        text = pc.fill_null(pa.array(column.astype("str").where(column.notna(), ""), type=pa.string()), "")
        risky = pc.match_substring_regex(text, _FORMULA_START)
        columns[name] = pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
    return pa.table(columns)


def csv_lines(records: pd.DataFrame, header: bool) -> bytes:
    """Records (contract columns) as CSV bytes, neutralised; written by Arrow, strings always quoted."""
    sink = pa.BufferOutputStream()
    if len(records):
        body = neutralise(records[list(FAILED_RECORD_COLUMNS)])
        pa_csv.write_csv(body, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return (_HEADER if header else b"") + sink.getvalue().to_pybytes()


def locked(path: Path) -> FileLock:
    """The cross-process lock of one session CSV (a hidden sibling, so logs/ lists only CSVs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=120)


def append_failures(path: Path, records: pd.DataFrame) -> int:
    """Append records (contract columns) to the CSV at `path` under its lock; the header is written once."""
    if records.empty:
        return 0
    with locked(path):
        return append_locked(path, records)


def append_locked(path: Path, records: pd.DataFrame | SpilledRecords) -> int:
    """Append while the caller holds `locked(path)`; a line torn by a killed writer is dropped first.

    Spilled records are written a slice at a time: a writer killed between slices leaves the ledger's
    failure_log_written unset, and recovery replaces whatever lines of the file it had written.
    """
    if not len(records):
        return 0
    _drop_torn_tail(path)
    header = not path.exists() or path.stat().st_size == 0
    # Whole lines while holding the lock: no torn or interleaved rows.
    with path.open("ab") as handle:
        for part in [records] if isinstance(records, pd.DataFrame) else records.frames():
            handle.write(csv_lines(part, header=header))
            header = False
        handle.flush()
        os.fsync(handle.fileno())
    return len(records)


def replace_locked(path: Path, domain: str, source_file: str, records: pd.DataFrame) -> int:
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
    temporary.write_bytes(csv_lines(kept, header=True))
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


def rewrite_failures(path: Path, records: pd.DataFrame) -> int:
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
