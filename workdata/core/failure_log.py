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


def _lock_for(path: Path) -> FileLock:
    # Hidden sibling, so the logs folder lists only the CSVs.
    return FileLock(str(path.with_name(f".{path.name}.lock")), timeout=120)


def append_failures(path: Path, records: pd.DataFrame) -> int:
    """Append records (contract columns) to the CSV at `path`; the header is written once."""
    if records.empty:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    body = neutralise(records[list(FAILED_RECORD_COLUMNS)])
    with _lock_for(path):
        needs_header = not path.exists() or path.stat().st_size == 0
        text = body.to_csv(index=False, header=needs_header, lineterminator="\n")
        # One write of whole lines while holding the lock: no torn or interleaved rows.
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    return len(records)


def rewrite_failures(path: Path, records: pd.DataFrame) -> int:
    """Regenerate the CSV at `path` from `records` atomically (header even when empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = neutralise(records[list(FAILED_RECORD_COLUMNS)])
    with _lock_for(path):
        temporary = path.with_suffix(".csv.tmp")
        body.to_csv(temporary, index=False, lineterminator="\n")
        os.replace(temporary, path)
    return len(records)


def read_failures(path: Path) -> pd.DataFrame:
    """Read a session CSV back as text (for tests and tools)."""
    return pd.read_csv(path, dtype="str", keep_default_na=False)
