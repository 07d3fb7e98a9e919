"""The one way to reach the warehouse: a Store on the settings' DuckDB file or PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import psycopg2

from workdata.core.domain import Domain
from workdata.core.errors import WarehouseError
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.duckdb_connection import Connector, duckdb_connector
from workdata.core.storage.postgres_connection import postgres_connector
from workdata.core.storage.store import Store

# What a busy, unreachable or broken store raises, on either backend.
STORE_ERRORS: tuple[type[Exception], ...] = (WarehouseError, duckdb.Error, psycopg2.Error)


def open_store(
    settings: WorkdataSettings, domains: Iterable[Domain], attempts: int = 8, duckdb: Connector | None = None
) -> Store:
    """A Store for `domains`, schema ensured; `attempts` bounds the wait for DuckDB's lock.

    With `store_url` set the store is PostgreSQL; otherwise `duckdb` (or a connector on duckdb_path).
    """
    if settings.store_url:
        connect = postgres_connector(settings.store_url)
    else:
        connect = duckdb or duckdb_connector(settings.duckdb_path, attempts=attempts)
    store = Store(connect, domains)
    store.ensure_schema()
    return store
