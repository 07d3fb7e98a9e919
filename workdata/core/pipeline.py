"""The path of one file: ledger check, read, validate, commit atomically, log, report."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.errors import RejectedFileError, WorkdataError, classify
from workdata.core.failed_records import build_failed_records, to_arrow, top_reasons
from workdata.core.failure_log import append_failures
from workdata.core.inbox import file_sha256
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.policy import DomainPolicy, decide
from workdata.core.readers import read_raw
from workdata.core.records import FileStatus, Stage
from workdata.core.store import Store
from workdata.core.validation import validate

log = logging.getLogger(__name__)
outcome_log = logging.getLogger("workdata.outcomes")
LOADED = (FileStatus.SUCCESS.value, FileStatus.PARTIAL.value)


def process_file(
    domain: Domain,
    path: Path,
    file_key: str,
    store: Store,
    run: RunContext,
    log_path: Path,
    policy: DomainPolicy | None = None,
) -> FileOutcome:
    """Process one file end to end; never raises for bad input, always leaves a ledger record."""
    outcome = _process(domain, path, file_key, store, run, log_path, policy or DomainPolicy())
    outcome_log.info(outcome_json(outcome, run))
    return outcome


def outcome_json(outcome: FileOutcome, run: RunContext) -> str:
    """The file outcome as one JSON line (the structured log every file gets exactly once)."""
    return json.dumps(
        {
            "event": "file_outcome",
            "run_id": run.run_id,
            "session_id": run.session_id,
            "domain": outcome.domain,
            "file_path": outcome.file_path,
            "status": str(outcome.status),
            "error_category": outcome.error_category and str(outcome.error_category),
            "retryable": outcome.retryable,
            "rows_total": outcome.rows_total,
            "rows_loaded": outcome.rows_loaded,
            "rows_failed": outcome.rows_failed,
        },
        ensure_ascii=False,
    )


def _process(
    domain: Domain,
    path: Path,
    file_key: str,
    store: Store,
    run: RunContext,
    log_path: Path,
    policy: DomainPolicy,
) -> FileOutcome:
    stage, file_hash = Stage.HASH, None
    try:
        file_hash = file_sha256(path)
        state = store.get_state(domain.name, file_key)
        if state and state["file_hash"] == file_hash and state["status"] in LOADED:
            return _skip(domain, file_key, file_hash, state, store, run)
        stage = Stage.READ
        raw = read_raw(path)
        stage = Stage.VALIDATE
        result = validate(domain, raw.frame)
        records = build_failed_records(domain.name, file_key, file_hash, raw, result.failures, run)
        outcome = _row_outcome(
            domain, file_key, file_hash, raw.rows_total, len(result.good), records, log_path, policy
        )
        stage = Stage.LOAD
        store.commit_file(outcome, run, result.good if outcome.rows_loaded else None, to_arrow(records))
        stage = Stage.LOG
        if append_failures(log_path, records):
            store.mark_log_written(domain.name, file_key)
        return outcome
    except WorkdataError as exc:
        log.warning("workdata: %s/%s failed at stage %s: %s", domain.name, file_key, stage, exc)
        return record_failure(domain, file_key, file_hash, exc, stage, store, run)
    except Exception as exc:
        log.exception("workdata: %s/%s failed at stage %s", domain.name, file_key, stage)
        return record_failure(domain, file_key, file_hash, exc, stage, store, run)


def _row_outcome(
    domain: Domain,
    file_key: str,
    file_hash: str,
    total: int,
    loaded: int,
    records,
    log_path: Path,
    policy: DomainPolicy,
) -> FileOutcome:
    failed = total - loaded
    first = records["message"].iloc[0] if len(records) else ""
    decision = decide(policy, total, failed, f"row {records['row_index'].iloc[0]}: {first}" if first else "")
    common = dict(
        domain=domain.name,
        file_path=file_key,
        file_hash=file_hash,
        rows_total=total,
        rows_failed=failed,
        top_reasons=top_reasons(records),
        failure_log_path=str(log_path) if failed else None,
    )
    if decision.status is not FileStatus.FAILED:
        return FileOutcome(status=decision.status, rows_loaded=loaded, **common)
    c = classify(RejectedFileError(decision.reason or "", stage=Stage.VALIDATE))
    return FileOutcome(
        status=FileStatus.FAILED,
        rows_loaded=0,
        stage=c.stage,
        error_category=c.category,
        retryable=c.retryable,
        user_message=c.user_message,
        error_message=c.error_message,
        **common,
    )


def _skip(
    domain: Domain, file_key: str, file_hash: str, state: dict, store: Store, run: RunContext
) -> FileOutcome:
    if not state["failure_log_written"]:
        _recover_failure_log(domain, file_key, state, store)
    outcome = FileOutcome(
        domain=domain.name,
        file_path=file_key,
        file_hash=file_hash,
        status=FileStatus.SKIPPED,
        rows_total=state["rows_total"],
        rows_loaded=state["rows_loaded"],
        rows_failed=state["rows_failed"],
        user_message="Unchanged since it was loaded; skipped.",
    )
    store.record_attempt(outcome, run)
    return outcome


def _recover_failure_log(domain: Domain, file_key: str, state: dict, store: Store) -> None:
    # An earlier run committed but died before appending to its session CSV.
    records = store.failed_records(session_id=state["session_id"], domain=domain.name, source_file=file_key)
    append_failures(Path(state["failure_log_path"]), records)
    store.mark_log_written(domain.name, file_key)


def record_failure(
    domain: Domain,
    file_key: str,
    file_hash: str | None,
    exc: Exception,
    stage: Stage,
    store: Store,
    run: RunContext,
) -> FileOutcome:
    c = classify(exc, stage)
    outcome = FileOutcome(
        domain=domain.name,
        file_path=file_key,
        file_hash=file_hash,
        status=FileStatus.FAILED,
        stage=c.stage,
        error_category=c.category,
        retryable=c.retryable,
        user_message=c.user_message,
        error_message=c.error_message,
    )
    try:
        # Bad content replaces what the file held before; a transient fault leaves rows alone.
        store.commit_file(outcome, run, None, None, replace_rows=not c.retryable)
    except Exception:
        log.exception("workdata: could not record the failure of %s/%s", domain.name, file_key)
    return outcome
