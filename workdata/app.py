"""workdata as an application: the core's settings and store bound to the registered domains
(workdata.domains), for the Dagster definitions, the CLI and tools; the core itself knows no registry."""

from __future__ import annotations

from workdata.core.settings import WorkdataSettings
from workdata.core.settings import load_settings as load_core_settings
from workdata.core.storage.duckdb_connection import Connector
from workdata.core.storage.open_store import open_store as open_core_store
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS


def load_settings(**given: object) -> WorkdataSettings:
    """WorkdataSettings from `given` and WORKDATA_* variables; policies may name registered domains only."""
    return load_core_settings(known_domains=list(DOMAINS), **given)


def open_store(settings: WorkdataSettings, attempts: int = 8, duckdb: Connector | None = None) -> Store:
    """The store of every registered domain, schema ensured (see core.storage.open_store)."""
    return open_core_store(settings, DOMAINS.values(), attempts=attempts, duckdb=duckdb)
