"""Reference tables (plans, companies) that rows are checked against and enriched from.

They come from a directory (WORKDATA_REFERENCE_DIR) or, by default, from the copies shipped with
workdata. A source that cannot be read is a transient dependency failure, retried and breaker-guarded.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from workdata.core.errors import ReferenceUnavailableError


def reference_dependency(name: str) -> str:
    """Circuit-breaker name of a reference source."""
    return f"reference:{name}"


def load_reference(name: str, directory: Path | None = None, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The reference table `name`, all columns as text; re-read when its file changes. A table that is
    missing, unreadable, not UTF-8 CSV or lacks one of `columns` is the reference's fault, not the data
    file's: ReferenceUnavailableError (retryable, breaker-guarded), naming the table."""
    if directory is None:
        table = _packaged(name)
    else:
        path = directory / f"{name}.csv"
        try:
            table = _read(path, path.stat().st_mtime_ns)
        except OSError as exc:
            raise ReferenceUnavailableError(name, detail=f"{type(exc).__name__}: {exc}") from exc
        except (UnicodeDecodeError, ValueError) as exc:  # pandas' parser and empty-data errors included
            raise ReferenceUnavailableError(
                name, detail=f"{type(exc).__name__}: {exc}", problem="is not UTF-8 CSV with a header"
            ) from exc
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReferenceUnavailableError(
            name, detail=f"columns={list(table.columns)}", problem=f"lacks the column(s) {', '.join(missing)}"
        )
    return table


@lru_cache(maxsize=32)
def _read(path: Path, _mtime_ns: int) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


@lru_cache(maxsize=8)
def _packaged(name: str) -> pd.DataFrame:
    with (resources.files("workdata.domains") / "reference" / f"{name}.csv").open("rb") as handle:
        return pd.read_csv(handle, dtype="str", keep_default_na=False)
