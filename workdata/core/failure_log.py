"""The session failure CSV: one header, appended under a cross-process lock, formula-safe cells."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from filelock import FileLock

from workdata.core.records import FAILED_RECORD_COLUMNS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix cells a spreadsheet would run as a formula with a quote (OWASP CSV injection)."""
    safe = frame.copy()
    for name in safe.columns:
        if safe[name].dtype.kind in "iufb":
            continue
        text = safe[name].astype("str").where(safe[name].notna(), "")
        risky = text.str.startswith(_FORMULA_START)
        safe[name] = text.where(~risky, "'" + text)
    return safe


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


def append_locked(path: Path, records: pd.DataFrame) -> int:
    """Append while the caller holds `locked(path)`; a line torn by a killed writer is dropped first."""
    if records.empty:
        return 0
    _drop_torn_tail(path)
    needs_header = not path.exists() or path.stat().st_size == 0
    text = neutralise(records[list(FAILED_RECORD_COLUMNS)]).to_csv(
        index=False, header=needs_header, lineterminator="\n"
    )
    # One write of whole lines while holding the lock: no torn or interleaved rows.
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(text)
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
    kept.to_csv(temporary, index=False, lineterminator="\n")
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
    body = neutralise(records[list(FAILED_RECORD_COLUMNS)])
    with locked(path):
        temporary = path.with_suffix(".csv.tmp")
        body.to_csv(temporary, index=False, lineterminator="\n")
        os.replace(temporary, path)
    return len(records)


def read_failures(path: Path) -> pd.DataFrame:
    """Read a session CSV back as text (for tests and tools)."""
    return pd.read_csv(path, dtype="str", keep_default_na=False)
