"""Where workdata keeps its files, resolved from WORKDATA_* variables when asked, never at import."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from workdata.core.policy import DomainPolicy, ReaderSettings
from workdata.core.retry_schedule import RetrySchedule


class WorkdataSettings(BaseSettings):
    """Paths and batch sizes; every field can be set as WORKDATA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="WORKDATA_")

    home: Path = Path(".workdata")
    inbox_dir: Path | None = None
    duckdb_path: Path | None = None
    # A PostgreSQL URL: ledger, failed records and warehouse tables live there instead of in duckdb_path.
    store_url: str | None = None
    # Unset: ./logs, or <home>/logs when WORKDATA_HOME (or `home`) is given, so one setting moves all.
    logs_dir: Path | None = None
    dagster_home: Path | None = None
    quarantine_dir: Path | None = None
    reference_dir: Path | None = None  # None: the reference tables shipped with workdata
    # A run takes up to this many neighbouring files and this many MB of them (a bigger file runs alone):
    # few run start-ups for a backlog of small files, runs of bounded length for big ones.
    run_batch_size: int = 500
    run_batch_mb: float = 512.0
    retry: RetrySchedule = RetrySchedule()
    circuit_threshold: int = 3
    circuit_cooldown_seconds: float = 300.0
    # redis://host:6379/0: circuit breakers shared by every machine of a deployment (else a file in home).
    circuits_url: str | None = Field(None, pattern=r"^rediss?://")
    skip_failed: bool = False  # for every domain: skip files whose content is known bad
    # The inbox sensor leaves files modified in the last N seconds for a later tick (still being written).
    settle_seconds: float = 5.0
    # How often the daemon evaluates workdata's sensors (inbox, retry, run outcome) at most.
    sensor_interval_seconds: int = Field(30, ge=1)
    # Per-domain overrides, e.g. WORKDATA_POLICIES='{"annuity_income": {"mode": "failfast"}}'.
    policies: dict[str, DomainPolicy] = {}

    @property
    def run_batch_bytes(self) -> int:
        """run_batch_mb in bytes."""
        return int(self.run_batch_mb * 2**20)

    @model_validator(mode="after")
    def _fill_paths(self) -> WorkdataSettings:
        home_given = "home" in self.model_fields_set  # read before the assignments below add to it
        home = self.home.resolve()
        self.home = home
        self.inbox_dir = (self.inbox_dir or home / "inbox").resolve()
        self.duckdb_path = (self.duckdb_path or home / "warehouse.duckdb").resolve()
        default_logs = home / "logs" if home_given else Path("logs")
        self.logs_dir = (self.logs_dir or default_logs).resolve()
        self.dagster_home = (self.dagster_home or home / "dagster_home").resolve()
        self.quarantine_dir = (self.quarantine_dir or home / "quarantine").resolve()
        return self

    def failure_log_path(self, session_id: str) -> Path:
        """Path of the session-scoped failure CSV."""
        return self.logs_dir / f"wdh_etl_failures_{session_id}.csv"

    @property
    def hash_cache_path(self) -> Path:
        """Where the inbox sensor keeps inbox files' content hashes between ticks."""
        return self.home / "inbox_hashes.json"

    @property
    def claims_dir(self) -> Path:
        """Where the per-file claims of running ingestions live (one ingestion per file at a time)."""
        return self.home / "claims"

    @property
    def circuits_path(self) -> Path:
        """Where circuit-breaker state lives (outside DuckDB, so it survives a broken warehouse)."""
        return self.home / "circuits.json"

    def policy_for(self, domain: str) -> DomainPolicy:
        """The configured policy of `domain` (or the default), with the global skip_failed applied."""
        policy = self.policies.get(domain, DomainPolicy())
        return policy.model_copy(update={"skip_failed": True}) if self.skip_failed else policy


class SettingsInvalidError(ValueError):
    """A setting workdata cannot use; its message is one sentence naming the setting and what is allowed."""


def load_settings(known_domains: Collection[str] | None = None, **given: object) -> WorkdataSettings:
    """WorkdataSettings from `given` and WORKDATA_* variables, or SettingsInvalidError in one sentence
    (policies naming a domain not in `known_domains`, when given, included)."""
    settings = _validated(**given)
    unknown = sorted(
        set(settings.policies) - set(known_domains if known_domains is not None else settings.policies)
    )
    if unknown:
        raise SettingsInvalidError(
            f"Setting WORKDATA_POLICIES names an unknown domain {unknown[0]!r}; known domains: "
            f"{', '.join(known_domains or ())}."
        )
    return settings


def _validated(**given: object) -> WorkdataSettings:
    try:
        return WorkdataSettings(**given)
    except SettingsError as exc:
        field = str(exc).split('"')[1] if '"' in str(exc) else "?"
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise SettingsInvalidError(
            f"Setting WORKDATA_{field.upper()} is not valid JSON{cause}; give a JSON object, "
            f"e.g. {_EXAMPLES.get(field, '{}')}."
        ) from exc
    except ValidationError as exc:
        raise SettingsInvalidError(describe_validation_error(exc, "WORKDATA_")) from exc


_EXAMPLES = {
    "policies": '{"annuity_income": {"mode": "failfast"}}',
    "retry": '{"max_attempts": 4, "base_seconds": 60}',
}


def describe_validation_error(exc: ValidationError, prefix: str) -> str:
    """A ValidationError's first error as one sentence naming the setting and what is allowed."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    name = (prefix + loc[0].upper()) if loc else prefix.rstrip("_")
    where = name + "".join(f".{part}" for part in loc[1:-1] if part)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(exc.title, loc)
        return f"Setting {where} has an unknown key {loc[-1]!r}; allowed keys: {', '.join(allowed)}."
    where += f".{loc[-1]}" if len(loc) > 1 else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    shown = error.get("input")
    given = (
        f" (given {shown!r})" if isinstance(shown, str | int | float) and not isinstance(shown, bool) else ""
    )
    return f"Setting {where} is not allowed{given}: {message}."


def _allowed_keys(title: str, loc: list[str]) -> list[str]:
    from workdata.core.retry_schedule import RetrySchedule

    if loc and loc[0] == "policies":
        return list((ReaderSettings if "read" in loc[:-1] else DomainPolicy).model_fields)
    if loc and loc[0] == "retry":
        return list(RetrySchedule.model_fields)
    return list(WorkdataSettings.model_fields)
