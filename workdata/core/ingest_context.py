"""Everything processing a file needs besides the file itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.engine.validate.reference_tables import reference_dependency
from workdata.core.outcome import RunContext
from workdata.core.policy import DomainPolicy
from workdata.core.retry_schedule import RetrySchedule
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.circuit import CircuitBreakers, circuit_breakers
from workdata.core.storage.claims import Claims, FileClaims, ServerClaims
from workdata.core.storage.store import Store

WAREHOUSE = "warehouse"


@dataclass(frozen=True)
class Ingest:
    """The store, run, failure-log path and the policies in force for one domain's files."""

    store: Store
    run: RunContext
    log_path: Path
    policy: DomainPolicy = field(default_factory=DomainPolicy)
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    reference_dir: Path | None = None
    quarantine_dir: Path | None = None
    breakers: CircuitBreakers | None = None
    # Ledger rows fetched for a chunk of claimed files at once (Store.get_states); each used once, dropped.
    states: dict[str, dict | None] = field(default_factory=dict)
    # Claims of one ingestion per file at a time across processes (None: this process is alone).
    claims: Claims | None = None
    # A run an operator or the retry sensor asked to retry: FAILED files are attempted even before their
    # backoff is due (other runs skip a file whose same content already failed and is not due).
    retrying: bool = False


def dependencies_of(domain: Domain) -> list[str]:
    """The breaker-guarded dependencies a domain's files need: the warehouse and its references."""
    return [WAREHOUSE, *sorted({reference_dependency(r.reference) for r in domain.references})]


def ingest_for(
    settings: WorkdataSettings, domain: Domain, store: Store, run: RunContext, retrying: bool = False
) -> Ingest:
    """The Ingest of `domain` for one run, as the settings configure it."""
    return Ingest(
        store=store,
        run=run,
        log_path=settings.failure_log_path(run.session_id),
        policy=settings.policy_for(domain.name),
        retry=settings.retry,
        reference_dir=settings.reference_dir,
        quarantine_dir=settings.quarantine_dir,
        breakers=circuit_breakers(settings),
        # On a PostgreSQL store, processes on other machines ingest too: claims live on its server.
        claims=ServerClaims(store.connect) if settings.store_url else FileClaims(settings.claims_dir),
        retrying=retrying,
    )
