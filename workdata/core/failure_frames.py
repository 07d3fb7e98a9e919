"""Failures found while validating a block: one row per failing row and reason, in fixed columns."""

from __future__ import annotations

import pandas as pd

from workdata.core.records import ErrorType

FAILURE_COLUMNS = ("row_index", "error_type", "column", "check", "message")
_NO_FAILURES = pd.DataFrame({name: pd.Series(dtype="object") for name in FAILURE_COLUMNS})


def empty_failures() -> pd.DataFrame:
    """A failures frame with no rows and the fixed columns (shared: callers only concatenate it)."""
    return _NO_FAILURES


def concat_failures(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts as one failures frame; empty parts (most checks pass) are left out, not concatenated."""
    found = [part for part in parts if len(part)]
    if not found:
        return empty_failures()
    return found[0] if len(found) == 1 else pd.concat(found, ignore_index=True)


def make_failures(
    rows: pd.Index, error_type: ErrorType, column: str | None, check: str, messages: pd.Series | str
) -> pd.DataFrame:
    """Failures for `rows`, one per row, sharing type, column and check."""
    return pd.DataFrame(
        {
            "row_index": rows.to_numpy(),
            "error_type": str(error_type),
            "column": column,
            "check": check,
            "message": messages.to_numpy() if isinstance(messages, pd.Series) else messages,
        }
    )
