"""Short-lived DuckDB connections: open with retry while another process holds the lock, always close."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from workdata.core.errors import WarehouseError


class Cursor(Protocol):
    """What a store statement returns, on either backend."""

    description: Any

    def fetchone(self) -> tuple | None: ...
    def fetchall(self) -> list[tuple]: ...
    def df(self) -> pd.DataFrame: ...


class Connection(Protocol):
    """The few operations the store needs; SQL uses `?` placeholders and portable syntax."""

    dialect: str

    def execute(self, sql: str, params: Sequence | None = None) -> Cursor: ...
    def insert_arrow(self, table: str, rows: pa.Table) -> None: ...
    def insert_parquet(self, table: str, path: Path, skip: np.ndarray) -> None: ...
    def lock(self, key: str) -> None: ...


Connector = Callable[[], AbstractContextManager[Connection]]


INSERT_MEMORY_LIMIT = "128MB"


class DuckConnection:
    """A DuckDB connection seen through the store's Connection interface."""

    dialect = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.raw = connection
        # DuckDB's RLE encoder can write segments it then fails to read ("Corrupted RLE segment",
        # duckdb/duckdb#22823); seen once here under load with 8 writer processes. Not using RLE costs
        # some file size and avoids that path.
        connection.execute("SET disabled_compression_methods = 'rle'")

    def execute(self, sql: str, params: Sequence | None = None) -> duckdb.DuckDBPyConnection:
        """Run one statement; the DuckDB connection doubles as its cursor."""
        return self.raw.execute(sql, params)

    def insert_arrow(self, table: str, rows: pa.Table) -> None:
        """Bulk insert by column name (never row by row); `table` is an already quoted identifier."""
        self.raw.register("incoming_rows", rows)
        # No unregister in `finally`: inside an aborted transaction it would raise and hide the real error.
        self.raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")  # noqa: S608
        self.raw.unregister("incoming_rows")

    def insert_parquet(self, table: str, path: Path, skip: np.ndarray) -> None:
        """Bulk insert a staged Parquet file by column name, less the rows whose _row_index is in `skip`;
        DuckDB streams it, never holding it whole."""
        # Without these DuckDB buffers a large insert in memory (+350 MB for 1M rows); with them it
        # spills to disk beyond the limit, and the table's order is not needed (rows carry _row_index).
        self.raw.execute(f"SET memory_limit = '{INSERT_MEMORY_LIMIT}'")
        self.raw.execute("SET preserve_insertion_order = false")
        self.raw.register("skipped_rows", pa.table({"row": pa.array(skip, pa.int64())}))
        leave_out = " WHERE _row_index NOT IN (SELECT row FROM skipped_rows)" if len(skip) else ""
        self.raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?){leave_out}", [str(path)])  # noqa: S608
        self.raw.unregister("skipped_rows")

    def lock(self, key: str) -> None:
        """No-op: DuckDB has one writer per file, so a transaction already excludes every other."""


def duckdb_connector(path: Path, attempts: int = 8, first_wait: float = 0.1) -> Connector:
    """A connector for `path`: each use is one connection, closed on exit even on error."""

    # Another process may hold the single-writer lock; it only holds it for one commit: wait and try again.
    opening = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=first_wait),
        retry=retry_if_exception_type(duckdb.IOException),
        reraise=True,
    )

    @contextmanager
    def connect() -> Iterator[DuckConnection]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with warehouse_faults():
            connection = opening(duckdb.connect, str(path))
        try:
            with warehouse_faults():
                yield DuckConnection(connection)
        finally:
            connection.close()

    return connect


@contextmanager
def warehouse_faults() -> Iterator[None]:
    """DuckDB's faults of the warehouse itself (locked, out of memory, I/O, an aborted transaction) raised
    as WarehouseError, the transient failure they are; its other errors (a bad statement) pass as they are."""
    try:
        yield
    except (duckdb.IOException, duckdb.TransactionException, duckdb.OutOfMemoryException) as exc:
        raise WarehouseError(exc) from exc
