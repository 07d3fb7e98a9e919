"""Short-lived PostgreSQL connections behind the store's Connection interface (the server-backed store)."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from workdata.core.arrow import spill_batches
from workdata.core.errors import WarehouseError
from workdata.core.storage.duckdb_connection import Connector

_PLACEHOLDER = re.compile(r"\?")
_DRIVER_SCHEME = re.compile(r"^postgres(?:ql)?\+\w+://")


class PgCursor:
    """A psycopg2 cursor with DuckDB's `df()`."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor
        self.description = cursor.description

    def fetchone(self) -> tuple | None:
        """The next row, or None."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        """Every remaining row."""
        return self._cursor.fetchall()

    def df(self) -> pd.DataFrame:
        """The remaining rows as a DataFrame with the statement's column names."""
        columns = [d[0] for d in self.description or []]
        return pd.DataFrame.from_records(self._cursor.fetchall(), columns=columns)


class PgConnection:
    """A psycopg2 connection in autocommit mode, so `BEGIN`/`COMMIT` statements work as on DuckDB."""

    dialect = "postgres"

    def __init__(self, connection) -> None:
        self.raw = connection

    def execute(self, sql: str, params: Sequence | None = None) -> PgCursor:
        """Run one statement written with `?` placeholders."""
        cursor = self.raw.cursor()
        if params is None:
            cursor.execute(sql)  # without parameters psycopg2 leaves the text alone: nothing to rewrite
        else:
            cursor.execute(to_pyformat(sql), list(params))
        return PgCursor(cursor)

    def insert_arrow(self, table: str, rows: pa.Table) -> None:
        """Bulk insert through COPY, columns by name; `table` is an already quoted identifier."""
        columns = ", ".join('"' + name.replace('"', '""') + '"' for name in rows.column_names)
        buffer = io.BytesIO()
        pa_csv.write_csv(_without_nul(rows), buffer, pa_csv.WriteOptions(include_header=True))
        buffer.seek(0)
        # Strings are quoted by pyarrow, so an unquoted empty field is NULL and "" is the empty string.
        self.raw.cursor().copy_expert(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)", buffer
        )

    def insert_parquet(self, table: str, path: Path, skip: np.ndarray) -> None:
        """Bulk insert a staged Parquet file less the `skip` rows, one COPY per batch (bounded memory)."""
        skipped = pa.array(skip, pa.int64())
        for batch in spill_batches(path, 100_000):
            rows = pa.Table.from_batches([batch])
            if len(skip):
                rows = rows.filter(pc.invert(pc.is_in(batch["_row_index"], value_set=skipped)))
            self.insert_arrow(table, rows)

    def lock(self, key: str) -> None:
        """Hold a transaction-scoped advisory lock on `key`, so two writers of one file take turns."""
        self.execute("SELECT pg_advisory_xact_lock(?)", [zlib.crc32(key.encode()) - 2**31])


def to_pyformat(sql: str) -> str:
    """`?` placeholders to psycopg2's `%s` (store SQL has no `?` or `%` inside string literals)."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


def _without_nul(rows: pa.Table) -> pa.Table:
    # PostgreSQL text cannot hold U+0000, which a hostile cell may carry; it becomes U+FFFD.
    for i, field in enumerate(rows.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            rows = rows.set_column(i, field, pc.replace_substring(rows.column(i), "\x00", "\ufffd"))
    return rows


def postgres_connector(url: str) -> Connector:
    """A connector for the database at `url`: each use is one connection, closed on exit even on error."""

    # One URL serves Dagster's storage too, where SQLAlchemy wants the driver named: postgresql+psycopg2://.
    dsn = _DRIVER_SCHEME.sub("postgresql://", url)

    @contextmanager
    def connect() -> Iterator[PgConnection]:
        with warehouse_faults():
            connection = psycopg2.connect(dsn)
        connection.autocommit = True
        try:
            with warehouse_faults():
                yield PgConnection(connection)
        finally:
            connection.close()

    return connect


@contextmanager
def warehouse_faults() -> Iterator[None]:
    """psycopg2's faults of the server (down, unreachable, connection lost, a serialization or deadlock
    abort) raised as WarehouseError, the transient failure they are; its other errors pass as they are."""
    try:
        yield
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:  # TransactionRollbackError is one
        raise WarehouseError(exc) from exc
