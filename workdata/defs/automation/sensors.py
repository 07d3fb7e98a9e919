"""The inbox sensor: new or changed files become dynamic partitions and a few batched runs."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from workdata.app import open_store
from workdata.core.inbox.planning import HashCache, discover_pending, plan_runs
from workdata.core.inbox.survey import IgnoredEntry
from workdata.core.session import new_session_id
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv_repair import recover_failure_logs
from workdata.core.storage.open_store import STORE_ERRORS
from workdata.defs.automation.run_outcome import OUTCOME_TAG, record_run_outcome, requeue_unreached
from workdata.defs.ingest.jobs import INGEST_JOBS, domain_of_run, job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.defs.ingest.pools import ensure_writer_pool
from workdata.defs.resources import WorkdataResource
from workdata.domains import DOMAINS

# How often the daemon evaluates a sensor unless WORKDATA_SENSOR_INTERVAL_SECONDS says otherwise.
DEFAULT_TICK_SECONDS: int = WorkdataSettings.model_fields["sensor_interval_seconds"].default


def _load_cursor(raw: str | None) -> dict[str, str]:
    # The cursor holds only the requests not yet in the ledger ('domain/key' -> sha256); hashes live in
    # the hash cache file. An older cursor's "hashes" are simply redone once.
    data = json.loads(raw) if raw else {}
    return data.get("requested", {})


def _inbox_sensor_tick(context: dg.SensorEvaluationContext, workdata: WorkdataResource):
    """Find new or changed domain files, add their partitions and request batched runs."""
    settings = workdata.settings()
    requested = _load_cursor(context.cursor)
    cache = HashCache(settings.hash_cache_path)
    cached = cache.load()
    try:
        store = open_store(settings, attempts=3)
        recover_failure_logs(store)  # appends a killed run committed but never wrote
        processed = store.processed_hashes()
    except STORE_ERRORS as exc:
        return dg.SkipReason(
            f"The warehouse is busy or unreadable ({type(exc).__name__}); next tick retries."
        )
    # Forget requests the ledger has caught up with; keep the rest so nothing launches twice.
    requested = {n: sha for n, sha in requested.items() if processed.get(tuple(n.split("/", 1))) != sha}
    hashes, pending, ignored = discover_pending(
        settings.inbox_dir, DOMAINS.values(), processed, cached, requested, settings.settle_seconds
    )
    if hashes != cached:
        cache.save(hashes)
    for entry in ignored:
        context.log.warning(f"Ignored inbox entry {entry.domain}/{entry.name!r}: {entry.reason}.")
    if not pending:
        return dg.SensorResult(
            skip_reason=f"No new or changed files among {len(hashes)} in the inbox" + ignored_note(ignored),
            cursor=json.dumps({"requested": requested}),
        )
    existing = {d: context.instance.get_dynamic_partitions(FILE_PARTITIONS[d].name) for d in DOMAINS}
    new_keys, plans = plan_runs(pending, existing, settings.run_batch_size, settings.run_batch_bytes)
    session_id = new_session_id()
    ensure_writer_pool(context.instance)
    requested.update({f"{p.file.domain}/{p.file.key}": p.sha256 for p in pending})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=plan.run_key,
                job_name=job_name(plan.domain),
                tags=run_tags(plan, session_id),
            )
            for plan in plans
        ],
        dynamic_partitions_requests=[
            FILE_PARTITIONS[domain].build_add_request(keys) for domain, keys in new_keys.items() if keys
        ],
        cursor=json.dumps({"requested": requested}),
    )


def inbox_sensor_every(seconds: int = DEFAULT_TICK_SECONDS) -> dg.SensorDefinition:
    """The inbox sensor, evaluated at most every `seconds` (the daemon's minimum interval)."""
    return dg.sensor(
        name="inbox_sensor",
        jobs=list(INGEST_JOBS.values()),
        minimum_interval_seconds=seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Finds new or changed files in inbox/<domain>/, adds one partition per file "
        "and requests few ranged runs (one session per tick).",
    )(_inbox_sensor_tick)


inbox_sensor = inbox_sensor_every()


def ignored_note(ignored: list[IgnoredEntry], shown: int = 3) -> str:
    """'.' or '; ignored N entries: name (reason); ...' for a tick's skip reason."""
    if not ignored:
        return "."
    named = "; ".join(f"{e.domain}/{e.name!r} ({e.reason})" for e in ignored[:shown])
    more = f"; and {len(ignored) - shown} more" if len(ignored) > shown else ""
    return f"; ignored {len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'}: {named}{more}."


FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# Runs updated in the same second as the cursor are looked at again (those already tagged are skipped).
OVERLAP = timedelta(seconds=1)


def _run_outcome_sensor_tick(context: dg.SensorEvaluationContext, workdata: WorkdataResource):
    """Record the outcome of every finished run that ingested files and has none yet."""
    # One sensor that says what it did, instead of three run-status sensors each logging "empty result"
    # every tick. The cursor is the update time of the last finished run seen; a run already tagged with
    # its outcome (by `workdata run` in process, or an earlier tick) is passed over. The first tick starts
    # at the beginning: a run that died before the daemon first ticked (its files never reached, never to
    # be requested again by the inbox sensor) is not left out.
    since = datetime.fromtimestamp(float(context.cursor or 0), UTC)
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=FINISHED, updated_after=since - OVERLAP),
        order_by="update_timestamp",
        ascending=True,
        limit=200,
    )
    latest = max((r.update_timestamp.timestamp() for r in records), default=since.timestamp())
    pending = [
        r.dagster_run
        for r in records
        if OUTCOME_TAG not in r.dagster_run.tags and domain_of_run(r.dagster_run) is not None
    ]
    if not pending:
        return dg.SensorResult(
            skip_reason=f"No run that ingests files finished since {since.isoformat(timespec='seconds')}.",
            cursor=str(latest),
        )
    try:
        settings = workdata.settings()
        store = open_store(settings, attempts=6)
        outcomes = []
        for run in pending:
            unreached = requeue_unreached(context.instance, run, settings, store)
            note = f" ({unreached} file(s) it never reached will be retried)" if unreached else ""
            outcomes.append(
                f"{run.run_id[:8]} {record_run_outcome(context.instance, run, store).status}{note}"
            )
    except STORE_ERRORS as exc:
        # The cursor stays: the next tick records these runs (those recorded already are tagged).
        return dg.SkipReason(
            f"The warehouse is busy or unreadable ({type(exc).__name__}); next tick retries."
        )
    return dg.SensorResult(
        skip_reason=f"Recorded the outcome of {len(outcomes)} run(s): {', '.join(outcomes)}.",
        cursor=str(latest),
    )


def run_outcome_sensor_every(seconds: int = DEFAULT_TICK_SECONDS) -> dg.SensorDefinition:
    """The run outcome sensor, evaluated at most every `seconds` (the daemon's minimum interval)."""
    return dg.sensor(
        name="run_outcome_sensor",
        minimum_interval_seconds=seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="When a run that ingests files has finished (ingest jobs, UI launches, re-executions and "
        "backfills alike; crashed runs too, once run monitoring marks them), records its honest outcome "
        "(SUCCESS / PARTIAL / FAILED): run_summaries row, workdata/* tags, Markdown report.",
    )(_run_outcome_sensor_tick)


run_outcome_sensor = run_outcome_sensor_every()
