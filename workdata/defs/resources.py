"""Resources: workdata's paths (pydantic settings underneath) and the warehouse (DuckDB or PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_duckdb import DuckDBResource

from workdata.app import load_settings, open_store
from workdata.core.policy import DomainPolicy
from workdata.core.settings import SettingsInvalidError, WorkdataSettings
from workdata.core.storage.duckdb_connection import DuckConnection
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS


class ReaderConfig(dg.Config):
    """How a domain's files are read (core.policy.ReaderSettings); unset fields keep the default."""

    sheet_pattern: str | None = None
    sheet_index: int | None = None
    header_row: int | None = None
    max_decompressed_mb: int | None = None
    stream_over_mb: float | None = None
    stream_block_mb: float | None = None
    stream_batch_rows: int | None = None
    total_markers: list[str] | None = None
    encodings: list[str] | None = None


class PolicyConfig(dg.Config):
    """Per-domain overrides of the business policy (core.policy.DomainPolicy: read mode, bad-row
    thresholds, key policy, dead letters) and of how files are read; unset fields keep the default."""

    mode: str | None = None
    warn_bad_row_ratio: float | None = None
    max_bad_row_ratio: float | None = None
    key_policy: str | None = None
    dead_letter_categories: list[str] | None = None
    skip_failed: bool | None = None
    read: ReaderConfig | None = None


class RetryConfig(dg.Config):
    """Retry cap and backoff (core.retry_schedule.RetrySchedule: full jitter between 0 and
    min(cap, base * factor^(attempts-1)))."""

    max_attempts: int = 4
    base_seconds: float = 60.0
    factor: float = 2.0
    cap_seconds: float = 3600.0


class WorkdataResource(dg.ConfigurableResource):
    """Where the inbox, the failure logs and the warehouse live, and how failures are retried."""

    home: str | None = None
    inbox_dir: str | None = None
    logs_dir: str | None = None
    duckdb_path: str | None = None
    store_url: str | None = None
    reference_dir: str | None = None
    quarantine_dir: str | None = None
    run_batch_size: int = 500
    run_batch_mb: float = 512.0
    skip_failed: bool = False
    settle_seconds: float = 5.0
    retry: RetryConfig = RetryConfig()
    circuit_threshold: int = 3
    circuit_cooldown_seconds: float = 300.0
    circuits_url: str | None = None
    policies: dict[str, PolicyConfig] = {}

    def settings(self) -> WorkdataSettings:
        """The resolved settings for this run or tick (policies set here win over the environment)."""
        given = {k: v for k, v in self.model_dump(exclude={"policies"}).items() if v is not None}
        settings = load_settings(**given)
        unknown = sorted(set(self.policies) - set(DOMAINS))
        if unknown:
            raise SettingsInvalidError(
                f"Resource config policies names an unknown domain {unknown[0]!r}; "
                f"known domains: {', '.join(DOMAINS)}."
            )
        overrides = {
            domain: DomainPolicy.model_validate(
                _overlaid(settings.policy_for(domain).model_dump(), config.model_dump(exclude_none=True))
            )
            for domain, config in self.policies.items()
        }
        return settings.model_copy(update={"policies": {**settings.policies, **overrides}})


def _overlaid(base: dict, given: dict) -> dict:
    """`base` with the fields `given` sets, nested settings field by field."""
    merged = dict(base)
    for name, value in given.items():
        merged[name] = _overlaid(base[name], value) if isinstance(value, dict) else value
    return merged


def build_resources(settings: WorkdataSettings) -> dict[str, dg.ConfigurableResource]:
    """The resources of the code location, pinned to `settings`' paths."""
    return {
        "workdata": WorkdataResource(
            home=str(settings.home),
            inbox_dir=str(settings.inbox_dir),
            logs_dir=str(settings.logs_dir),
            duckdb_path=str(settings.duckdb_path),
            store_url=_secret_config(settings.store_url, "WORKDATA_STORE_URL"),
            reference_dir=str(settings.reference_dir) if settings.reference_dir else None,
            quarantine_dir=str(settings.quarantine_dir),
            run_batch_size=settings.run_batch_size,
            run_batch_mb=settings.run_batch_mb,
            skip_failed=settings.skip_failed,
            settle_seconds=settings.settle_seconds,
            retry=RetryConfig(**settings.retry.model_dump()),
            circuit_threshold=settings.circuit_threshold,
            circuit_cooldown_seconds=settings.circuit_cooldown_seconds,
            circuits_url=_secret_config(settings.circuits_url, "WORKDATA_CIRCUITS_URL"),
            policies={
                domain: PolicyConfig(**policy.model_dump(mode="json"))
                for domain, policy in settings.policies.items()
            },
        ),
        "duckdb": DuckDBResource(database=str(settings.duckdb_path)),
    }


def _secret_config(url: str | None, variable: str) -> str | dg.EnvVar | None:
    # From the environment it stays an EnvVar, so a password never shows in the UI's resource config.
    if url and os.environ.get(variable) == url:
        return dg.EnvVar(variable)
    return url


def store_for(settings: WorkdataSettings, duckdb_resource: DuckDBResource) -> Store:
    """The run's Store, schema ensured: PostgreSQL when `store_url` is set, else the DuckDBResource's file."""

    @contextmanager
    def connect() -> Iterator[DuckConnection]:
        # DuckDBResource does not close its connection when the block raises; we do.
        with duckdb_resource.get_connection() as connection:
            try:
                yield DuckConnection(connection)
            finally:
                connection.close()

    return open_store(settings, duckdb=connect)
