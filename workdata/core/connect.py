"""Short-lived DuckDB connections: open with retry while another process holds the lock, always close."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb

Connector = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def duckdb_connector(path: Path, attempts: int = 8, first_wait: float = 0.1) -> Connector:
    """A connector for `path`: each use is one connection, closed on exit even on error."""

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = _open_with_retry(path, attempts, first_wait)
        try:
            yield connection
        finally:
            connection.close()

    return connect


def _open_with_retry(path: Path, attempts: int, wait: float) -> duckdb.DuckDBPyConnection:
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException:
            # Another process holds the single-writer lock; it only holds it for one commit.
            if attempt == attempts - 1:
                raise
            time.sleep(wait * 2**attempt)
    raise AssertionError("unreachable")
