"""The retry sensor: launch runs for exactly the failed, retryable files that are due."""

from __future__ import annotations

import dagster as dg

from workdata.app import open_store
from workdata.core.inbox.planning import plan_runs
from workdata.core.ingest_context import WAREHOUSE, dependencies_of
from workdata.core.operations.recovery import DueFile, due_retries, next_due
from workdata.core.session import new_session_id, utc_now
from workdata.core.storage.circuit import OPEN, circuit_breakers
from workdata.core.storage.open_store import STORE_ERRORS
from workdata.defs.automation.run_outcome import expected_files
from workdata.defs.automation.sensors import DEFAULT_TICK_SECONDS
from workdata.defs.ingest.jobs import INGEST_JOBS, job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.defs.ingest.pools import ensure_writer_pool
from workdata.defs.ingest.tags import ATTEMPT_TAG, PARENT_TAG, RETRY_TAG
from workdata.defs.resources import WorkdataResource
from workdata.domains import DOMAINS

ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def in_flight(instance: dg.DagsterInstance) -> set[tuple[str, str]]:
    """(domain, file) pairs of every queued or running run that ingests files (UI launches included)."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE))
    return {pair for run in runs for pair in expected_files(instance, run)}


def retry_requests(instance: dg.DagsterInstance, due: list[DueFile], batch: int) -> list[dg.RunRequest]:
    """Ranged retry runs; the run key names files, content and attempt, so a tick repeated is a no-op."""
    existing = {d: instance.get_dynamic_partitions(FILE_PARTITIONS[d].name) for d in DOMAINS}
    by_key = {(f.domain, f.key): f for f in due}
    keyed = [DueFile(f.domain, f.key, f"{f.sha256}:{f.attempts}", f.attempts, f.session_id) for f in due]
    _, plans = plan_runs(keyed, existing, batch)
    session_id = new_session_id()
    requests = []
    for plan in plans:
        files = [by_key[(plan.domain, k)] for k in plan.keys]
        tags = run_tags(plan, session_id) | {
            RETRY_TAG: "true",
            ATTEMPT_TAG: str(max(f.attempts for f in files) + 1),
            PARENT_TAG: files[0].session_id or "",
        }
        requests.append(
            dg.RunRequest(run_key=f"retry:{plan.run_key}", job_name=job_name(plan.domain), tags=tags)
        )
    return requests


def _retry_sensor_tick(context: dg.SensorEvaluationContext, workdata: WorkdataResource):
    """Request ranged runs for the failed, retryable files whose retry is due."""
    settings = workdata.settings()
    now = utc_now()
    blocked = {
        dep: c.retry_at
        for dep, c in circuit_breakers(settings).states().items()
        if c.state == OPEN and c.retry_at_time and c.retry_at_time > now
    }
    if WAREHOUSE in blocked:
        return dg.SkipReason(f"Circuit open for {WAREHOUSE}: nothing is retried before {blocked[WAREHOUSE]}.")
    try:
        store = open_store(settings, attempts=3)
        due = due_retries(store, now, settings.retry.max_attempts)
    except STORE_ERRORS as exc:
        return dg.SkipReason(
            f"The warehouse is busy or unreadable ({type(exc).__name__}); next tick retries."
        )
    busy = in_flight(context.instance)
    held = [f for f in due if set(dependencies_of(DOMAINS[f.domain])) & set(blocked)]
    ready = [f for f in due if (f.domain, f.key) not in busy and f not in held and f.domain in DOMAINS]
    if not ready:
        reasons = [f"{len(due)} due", f"{len(due) - len(ready) - len(held)} already queued or running"]
        if held:
            holding = ", ".join(f"{dep} until {when}" for dep, when in sorted(blocked.items()))
            reasons.append(f"{len(held)} held by open circuits ({holding})")
        upcoming = next_due(store, settings.retry.max_attempts) if not due else None
        later = (
            f" Next due: {upcoming[1]} at {upcoming[0].isoformat(timespec='seconds')}." if upcoming else ""
        )
        return dg.SkipReason("Nothing to retry now: " + ", ".join(reasons) + "." + later)
    ensure_writer_pool(context.instance)
    return retry_requests(context.instance, ready, settings.run_batch_size)


def retry_sensor_every(seconds: int = DEFAULT_TICK_SECONDS) -> dg.SensorDefinition:
    """The retry sensor, evaluated at most every `seconds` (the daemon's minimum interval)."""
    return dg.sensor(
        name="retry_sensor",
        jobs=list(INGEST_JOBS.values()),
        minimum_interval_seconds=seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Retries exactly the FAILED, retryable files whose backoff is due (under the attempt "
        "cap, not already queued or running, dependency circuits closed), batched into few runs.",
    )(_retry_sensor_tick)


retry_sensor = retry_sensor_every()
