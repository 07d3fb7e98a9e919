"""Recovery from the Launchpad: the CLI's retry, release, clear, verify, replay and maintenance as jobs."""

from enum import StrEnum

import dagster as dg
from pydantic import Field

from workdata.app import open_store
from workdata.core.ingest_context import dependencies_of
from workdata.core.operations.maintenance import prune
from workdata.core.operations.recovery import clear, mark_due_now, release
from workdata.core.operations.replay import replay
from workdata.core.operations.verify import verify
from workdata.core.records import ErrorCategory, ErrorType, FileStatus
from workdata.core.session import utc_now
from workdata.core.storage.circuit import circuit_breakers
from workdata.core.storage.ledger_reads import failed_files
from workdata.core.storage.store import Store
from workdata.defs.resources import WorkdataResource
from workdata.domains import DOMAINS


def _store(workdata: WorkdataResource) -> Store:
    return open_store(workdata.settings())


# The Launchpad offers these as choices instead of free text.
DomainName = StrEnum("DomainName", {name: name for name in DOMAINS})


class RetryFilesConfig(dg.Config):
    """Which FAILED files to make due now: a domain, a file and/or a category, or every one with all."""

    domain: DomainName | None = Field(None, description="Only this domain's files.")
    file: str | None = Field(None, description="One file, as in the ledger (relative to inbox/<domain>/).")
    category: ErrorCategory | None = Field(None, description="Only files that failed with this category.")
    all: bool = Field(False, description="Retry every FAILED file (needed when nothing else is set).")


@dg.op(description="Make matching FAILED files due now; the retry sensor launches them on its next tick.")
def make_failed_files_due(
    context: dg.OpExecutionContext, config: RetryFilesConfig, workdata: WorkdataResource
):
    """Mark matching FAILED files due now, ignoring their backoff; open circuits they need probe at once."""
    domain = config.domain.value if config.domain else None
    category = config.category.value if config.category else None
    if not (domain or config.file or category or config.all):
        raise dg.Failure("Name a domain, a file or a category, or set all: true to retry every FAILED file.")
    settings = workdata.settings()
    store = open_store(settings)
    now = utc_now()
    count = mark_due_now(store, now, domain=domain, file_path=config.file, category=category)
    if not count:
        known = failed_files(store, statuses=("FAILED",), domain=domain, limit=10)
        names = ", ".join(f"{d}/{f}" for d, f in zip(known["domain"], known["file_path"], strict=True))
        raise dg.Failure(
            "No FAILED file matches "
            + ", ".join(
                f"{k}={v}"
                for k, v in {"domain": domain, "file": config.file, "category": category}.items()
                if v
            )
            + (
                f"; FAILED files{' of ' + domain if domain else ''}: {names}."
                if names
                else "; no file is FAILED."
            )
        )
    domains = [DOMAINS[domain]] if domain else list(DOMAINS.values())
    needed = sorted({dep for domain in domains for dep in dependencies_of(domain)})
    cut = circuit_breakers(settings).probe_now(needed, now) if count else []
    probing = f"; open circuits probe on the first of them: {', '.join(cut)}" if cut else ""
    context.log.info(f"{count} file(s) due now; the retry sensor launches them on its next tick{probing}")


class ReleaseConfig(dg.Config):
    """The dead-lettered file to release."""

    domain: DomainName = Field(description="The file's domain.")
    file: str = Field(description="The file, as in the ledger (relative to inbox/<domain>/).")


@dg.op(description="Move one dead-lettered file back to PENDING; the inbox sensor ingests it again.")
def release_dead_letter(context: dg.OpExecutionContext, config: ReleaseConfig, workdata: WorkdataResource):
    """DEAD_LETTER -> PENDING."""
    store, domain = _store(workdata), config.domain.value
    if not release(store, domain, config.file):
        known = failed_files(store, statuses=("DEAD_LETTER",), domain=domain, limit=10)
        names = ", ".join(known["file_path"])
        raise dg.Failure(
            f"{domain}/{config.file} is not in the dead letter; nothing was released. "
            + (f"Dead letters of {domain}: {names}." if names else f"{domain} has no dead letters.")
        )
    context.log.info(f"Released {domain}/{config.file}")


class ClearConfig(dg.Config):
    """Ledger statuses to forget; `confirm` must be true."""

    statuses: list[FileStatus] = Field(["FAILED", "DEAD_LETTER"], description="Ledger statuses to forget.")
    confirm: bool = Field(False, description="Must be true: forgetting cannot be undone.")


@dg.op(description="Forget ledger entries with the given statuses (their files count as new again).")
def clear_ledger(context: dg.OpExecutionContext, config: ClearConfig, workdata: WorkdataResource):
    """Delete file_state rows by status, once confirmed."""
    if not config.confirm:
        raise dg.Failure("Set confirm: true to forget ledger entries.")
    statuses = [str(status) for status in config.statuses]  # the default arrives as plain text
    context.log.info(f"Forgot {clear(_store(workdata), statuses)} ledger entries")


@dg.op(description="Recompute checksums and check every invariant (docs/DESIGN.md section 4); fails on one.")
def verify_invariants(context: dg.OpExecutionContext, workdata: WorkdataResource):
    """Fail with the list of violations, if any."""
    settings = workdata.settings()
    report = verify(_store(workdata), settings.inbox_dir, DOMAINS.values(), settings.retry.max_attempts)
    for note in report.notes:
        context.log.info(note)
    if report.violations:
        raise dg.Failure(
            f"{len(report.violations)} invariant violation(s).",
            metadata={"violations": dg.MetadataValue.md("\n".join(f"- {v}" for v in report.violations))},
        )


class ReplayConfig(dg.Config):
    """Which failed rows to replay (empty fields match everything)."""

    domain: DomainName | None = Field(None, description="Only this domain's failed rows.")
    session: str | None = Field(None, description="Only rows failed in this session (etl_...).")
    error_type: ErrorType | None = Field(None, description="Only rows failed with this error type.")


@dg.op(
    description="Re-validate stored failed rows against today's schema and references; load those that pass."
)
def replay_failed_rows(context: dg.OpExecutionContext, config: ReplayConfig, workdata: WorkdataResource):
    """Replay failed rows, file by file, atomically."""
    settings, store, run_id = workdata.settings(), _store(workdata), f"replay-{context.run_id}"
    for name in [config.domain.value] if config.domain else list(DOMAINS):
        for r in replay(
            store,
            DOMAINS[name],
            settings.reference_dir,
            run_id,
            session_id=config.session,
            error_type=config.error_type.value if config.error_type else None,
        ):
            context.log.info(f"{r.domain}/{r.file_path}: {r.loaded} of {r.candidates} failed rows now loaded")


class MaintenanceConfig(dg.Config):
    """How many days of history to keep."""

    retention_days: int = 90


@dg.op(
    description="Prune attempts, failed records and run summaries past retention; clear failure counts of "
    "files that later succeeded."
)
def prune_history(context: dg.OpExecutionContext, config: MaintenanceConfig, workdata: WorkdataResource):
    """Apply the retention period."""
    counts = prune(_store(workdata), config.retention_days, utc_now())
    context.log.info(", ".join(f"{k}: {v}" for k, v in counts.items()))


def _job(op: dg.OpDefinition, name: str, description: str, workdata: WorkdataResource) -> dg.JobDefinition:
    # The job's `workdata` resource is fixed when the location loads: the Launchpad opens on the op's own
    # few choices, not on 20 lines of paths and retry settings (WORKDATA_* and dagster.yaml set those).
    @dg.job(
        name=name,
        description=description,
        executor_def=dg.in_process_executor,
        tags={"workdata/kind": "recovery"},
        resource_defs={"workdata": dg.ResourceDefinition.hardcoded_resource(workdata, "workdata's settings")},
    )
    def _the_job():
        op()

    return _the_job


_RECOVERY = [
    (make_failed_files_due, "retry_failed_files", "Surgical retry: make FAILED files due now."),
    (release_dead_letter, "release_file", "Release one dead-lettered file."),
    (clear_ledger, "forget_ledger_entries", "Forget ledger entries by status."),
    (verify_invariants, "verify_ledger", "Check every invariant; fails listing violations."),
    (replay_failed_rows, "replay_rows", "Load failed rows that pass today's rules."),
    (prune_history, "maintenance", "Retention pruning."),
]


def recovery_jobs(workdata: WorkdataResource) -> list[dg.JobDefinition]:
    """The Launchpad's recovery jobs, bound to `workdata` (the location's settings)."""
    return [_job(op, name, description, workdata) for op, name, description in _RECOVERY]


def maintenance_schedule(job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """Daily retention pruning by the maintenance job."""
    return dg.ScheduleDefinition(
        name="daily_maintenance",
        job=job,
        cron_schedule="30 3 * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every day at 03:30: prune history past the retention period (90 days by default).",
    )
