"""The one way outside a run's asset to reach the warehouse: a Store on the settings' DuckDB file."""

from __future__ import annotations

from workdata.core.connect import duckdb_connector
from workdata.core.settings import WorkdataSettings
from workdata.core.store import Store
from workdata.domains import DOMAINS


def open_store(settings: WorkdataSettings, attempts: int = 8) -> Store:
    """A Store for every registered domain, schema ensured; `attempts` bounds the wait for the lock."""
    store = Store(duckdb_connector(settings.duckdb_path, attempts=attempts), DOMAINS.values())
    store.ensure_schema()
    return store
