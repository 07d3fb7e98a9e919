"""The DuckDB writer pool, created before the first runs that need it are queued."""

from __future__ import annotations

import dagster as dg

DUCKDB_POOL = "duckdb_writer"


def ensure_writer_pool(instance: dg.DagsterInstance) -> None:
    """Create the writer pool at the instance's default limit if Dagster has not created it yet."""
    # Dagster creates a pool lazily, inside the queue's dequeue pass, after it has read the list of
    # known pools: so on a fresh instance the first queued runs of a new pool all start at once
    # (measured: 4 ingest runs side by side with default_limit 1). Creating it first closes that gap.
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits and DUCKDB_POOL not in storage.get_concurrency_keys():
        storage.initialize_concurrency_limit_to_default(DUCKDB_POOL)
