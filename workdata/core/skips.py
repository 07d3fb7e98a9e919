"""When a file is not processed at all: unchanged, dead-lettered, or known-bad content."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workdata.core.domain import Domain
from workdata.core.file_job import FileJob
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import FileOutcome
from workdata.core.records import ErrorCategory, FileStatus
from workdata.core.session import utc_now
from workdata.core.storage.failure_csv_repair import write_failure_log

LOADED = (FileStatus.SUCCESS.value, FileStatus.PARTIAL.value)


def skip_reason(job: FileJob, ingest: Ingest) -> FileOutcome | None:
    """A SKIPPED outcome (already recorded) when the job's file must not be processed, else None."""
    domain, file_key, file_hash, state = job.domain, job.key, job.file_hash, job.state
    same = state is not None and state["file_hash"] == file_hash
    if same and state["status"] in LOADED:
        if not state["failure_log_written"]:
            # An earlier run committed but died before appending to its session CSV.
            write_failure_log(
                ingest.store, domain.name, file_key, state["session_id"], Path(state["failure_log_path"])
            )
        message = "Unchanged since it was loaded; skipped."
        return _skipped(domain, file_key, file_hash, state, message, ingest, change_state=False)
    if same and state["status"] == FileStatus.DEAD_LETTER:
        message = (
            f"Dead-lettered after {state['attempts']} attempt(s); skipped until released "
            f"(`workdata release {domain.name}/{file_key}`) or changed."
        )
        return _skipped(domain, file_key, file_hash, state, message, ingest, change_state=False)
    if same and state["status"] == FileStatus.FAILED and not ingest.retrying and not _due(state):
        # Already failed with this content: another run (or an operator's re-execution) must not spend
        # an attempt on it. The retry sensor and `workdata retry` take it when its retry is due.
        when = (
            f"its retry is due at {_iso(state['next_retry_at'])}"
            if state["retryable"]
            else "it is not retried: fix the file and drop it again"
        )
        message = f"Already failed with this content ({state['user_message']}); skipped, {when}."
        return _skipped(domain, file_key, file_hash, state, message, ingest, change_state=False)
    if ingest.policy.skip_failed:
        known = ingest.store.known_bad(file_hash, domain.name, file_key)
        if known is not None:
            message = f"Same content as known-bad {known[0]}/{known[1]} ({known[2]}); skipped."
            return _skipped(domain, file_key, file_hash, state, message, ingest, change_state=True)
    return None


def _skipped(
    domain: Domain,
    file_key: str,
    file_hash: str | None,
    state: dict | None,
    message: str,
    ingest: Ingest,
    change_state: bool,
) -> FileOutcome:
    state = state or {}
    # A known-bad file skipped here keeps its failure: its category travels with the skip, so the run's
    # summary counts it as still failed, not as a clean skip.
    kept = state.get("status") in (FileStatus.FAILED, FileStatus.DEAD_LETTER) and not change_state
    category = state.get("error_category") if kept else None
    outcome = FileOutcome(
        domain=domain.name,
        file_path=file_key,
        file_hash=file_hash,
        status=FileStatus.SKIPPED,
        rows_total=state.get("rows_total") or 0,
        rows_loaded=state.get("rows_loaded") or 0,
        rows_failed=state.get("rows_failed") or 0,
        rows_dropped=state.get("rows_dropped") or 0,
        user_message=message,
        previous_status=FileStatus(state["status"]) if state.get("status") else None,
        error_category=ErrorCategory(category) if category else None,
        retryable=bool(state.get("retryable")) if kept else None,
    )
    if change_state:
        ingest.store.commit_file(outcome, ingest.run, None, None, replace_rows=False, count_attempt=False)
    else:
        ingest.store.record_attempt(outcome, ingest.run)
    return outcome


def busy_elsewhere(domain: Domain, file_key: str, ingest: Ingest) -> FileOutcome:
    """SKIPPED: another live run holds this file's claim; that run records what happens to it."""
    message = "Another run is ingesting this file right now; skipped here, that run records its outcome."
    return _skipped(domain, file_key, None, None, message, ingest, change_state=False)


def _due(state: dict) -> bool:
    """A FAILED file's retry is due (retryable, and its backoff has passed)."""
    if not state["retryable"]:
        return False
    due_at = state["next_retry_at"]
    return due_at is None or _utc(due_at) <= pd.Timestamp(utc_now())


def _utc(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(value: object) -> str:
    return "an unknown time" if value is None else _utc(value).isoformat(timespec="seconds")


def held_by_circuit(job: FileJob, why: str, ingest: Ingest) -> FileOutcome:
    """SKIPPED, not attempted while a dependency's circuit is open; the ledger keeps the earlier failure."""
    message = f"Not attempted: {why} It keeps its earlier failure: {job.state['user_message']}"
    return _skipped(job.domain, job.key, job.file_hash, job.state, message, ingest, change_state=False)
