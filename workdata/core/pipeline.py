"""The path of one file: ledger check, read, validate, commit atomically, log, report."""

from __future__ import annotations

import logging
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.errors import MalformedFileError, WorkdataError, classify
from workdata.core.failed_records import build_failed_records, to_arrow, top_reasons
from workdata.core.failure_log import append_failures
from workdata.core.inbox import file_sha256
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.readers import read_raw
from workdata.core.records import FileStatus, Stage
from workdata.core.store import Store
from workdata.core.validation import validate

log = logging.getLogger(__name__)
LOADED = (FileStatus.SUCCESS.value, FileStatus.PARTIAL.value)


def process_file(
    domain: Domain, path: Path, file_key: str, store: Store, run: RunContext, log_path: Path
) -> FileOutcome:
    """Process one file end to end; never raises for bad input, always leaves a ledger record."""
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
            domain, file_key, file_hash, raw.rows_total, len(result.good), records, log_path
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
    domain: Domain, file_key: str, file_hash: str, total: int, loaded: int, records, log_path: Path
) -> FileOutcome:
    failed = total - loaded
    common = dict(
        domain=domain.name,
        file_path=file_key,
        file_hash=file_hash,
        rows_total=total,
        rows_loaded=loaded,
        rows_failed=failed,
        top_reasons=top_reasons(records),
        failure_log_path=str(log_path) if failed else None,
    )
    if failed == 0:
        return FileOutcome(status=FileStatus.SUCCESS, **common)
    if loaded:
        return FileOutcome(status=FileStatus.PARTIAL, **common)
    error = MalformedFileError(
        f"None of the {total} rows passed validation; the failure log lists every row and reason.",
        stage=Stage.VALIDATE,
    )
    c = classify(error)
    return FileOutcome(
        status=FileStatus.FAILED,
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
