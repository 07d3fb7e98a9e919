"""Where workdata keeps its files, resolved from WORKDATA_* variables when asked, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workdata.core.policy import DomainPolicy


class WorkdataSettings(BaseSettings):
    """Paths and batch sizes; every field can be set as WORKDATA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="WORKDATA_")

    home: Path = Path(".workdata")
    inbox_dir: Path | None = None
    duckdb_path: Path | None = None
    logs_dir: Path = Path("logs")
    dagster_home: Path | None = None
    run_batch_size: int = 100
    # Per-domain overrides, e.g. WORKDATA_POLICIES='{"annuity_income": {"mode": "failfast"}}'.
    policies: dict[str, DomainPolicy] = {}

    @model_validator(mode="after")
    def _fill_paths(self) -> WorkdataSettings:
        home = self.home.resolve()
        self.home = home
        self.inbox_dir = (self.inbox_dir or home / "inbox").resolve()
        self.duckdb_path = (self.duckdb_path or home / "warehouse.duckdb").resolve()
        self.logs_dir = self.logs_dir.resolve()
        self.dagster_home = (self.dagster_home or home / "dagster_home").resolve()
        return self

    def failure_log_path(self, session_id: str) -> Path:
        """Path of the session-scoped failure CSV."""
        return self.logs_dir / f"wdh_etl_failures_{session_id}.csv"

    def policy_for(self, domain: str) -> DomainPolicy:
        """The configured policy of `domain`, or the default one."""
        return self.policies.get(domain, DomainPolicy())
