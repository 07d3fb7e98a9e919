"""Where workdata keeps its files, resolved from WORKDATA_* variables when asked, never at import."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workdata.core.backoff import RetryPolicy
from workdata.core.circuit import CircuitBreakers
from workdata.core.policy import DomainPolicy


class WorkdataSettings(BaseSettings):
    """Paths and batch sizes; every field can be set as WORKDATA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="WORKDATA_")

    home: Path = Path(".workdata")
    inbox_dir: Path | None = None
    duckdb_path: Path | None = None
    # A PostgreSQL URL: ledger, failed records and warehouse tables live there instead of in duckdb_path.
    store_url: str | None = None
    logs_dir: Path = Path("logs")
    dagster_home: Path | None = None
    quarantine_dir: Path | None = None
    reference_dir: Path | None = None  # None: the reference tables shipped with workdata
    # A run takes up to this many neighbouring files and this many MB of them (a bigger file runs alone):
    # few run start-ups for a backlog of small files, runs of bounded length for big ones.
    run_batch_size: int = 500
    run_batch_mb: float = 512.0
    retry: RetryPolicy = RetryPolicy()
    circuit_threshold: int = 3
    circuit_cooldown_seconds: float = 300.0
    skip_failed: bool = False  # for every domain: skip files whose content is known bad
    # The inbox sensor leaves files modified in the last N seconds for a later tick (still being written).
    settle_seconds: float = 5.0
    # Per-domain overrides, e.g. WORKDATA_POLICIES='{"annuity_income": {"mode": "failfast"}}'.
    policies: dict[str, DomainPolicy] = {}

    @property
    def run_batch_bytes(self) -> int:
        """run_batch_mb in bytes."""
        return int(self.run_batch_mb * 2**20)

    @model_validator(mode="after")
    def _fill_paths(self) -> WorkdataSettings:
        home = self.home.resolve()
        self.home = home
        self.inbox_dir = (self.inbox_dir or home / "inbox").resolve()
        self.duckdb_path = (self.duckdb_path or home / "warehouse.duckdb").resolve()
        self.logs_dir = self.logs_dir.resolve()
        self.dagster_home = (self.dagster_home or home / "dagster_home").resolve()
        self.quarantine_dir = (self.quarantine_dir or home / "quarantine").resolve()
        return self

    def failure_log_path(self, session_id: str) -> Path:
        """Path of the session-scoped failure CSV."""
        return self.logs_dir / f"wdh_etl_failures_{session_id}.csv"

    @property
    def circuits_path(self) -> Path:
        """Where circuit-breaker state lives (outside DuckDB, so it survives a broken warehouse)."""
        return self.home / "circuits.json"

    def policy_for(self, domain: str) -> DomainPolicy:
        """The configured policy of `domain` (or the default), with the global skip_failed applied."""
        policy = self.policies.get(domain, DomainPolicy())
        return policy.model_copy(update={"skip_failed": True}) if self.skip_failed else policy

    def breakers(self) -> CircuitBreakers:
        """The circuit breakers configured by these settings."""
        return CircuitBreakers(
            self.circuits_path, self.circuit_threshold, timedelta(seconds=self.circuit_cooldown_seconds)
        )
