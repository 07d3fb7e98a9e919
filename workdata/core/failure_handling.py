"""A file that failed: classify it, schedule its retry or dead-letter and quarantine it, record it."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from workdata.core.errors import DependencyOpenError, classify
from workdata.core.file_job import FileJob
from workdata.core.inbox.quarantine import quarantine
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import FileOutcome
from workdata.core.records import FileStatus, Stage
from workdata.core.session import utc_now
from workdata.core.skips import held_by_circuit

log = logging.getLogger(__name__)


def record_failure(job: FileJob, exc: Exception, stage: Stage, ingest: Ingest) -> FileOutcome:
    """Classify `exc` and record the job's file as FAILED (retry scheduled) or DEAD_LETTER; never raises."""
    state, file_hash = job.state, job.file_hash
    same = bool(state and file_hash and state["file_hash"] == file_hash)
    if isinstance(exc, DependencyOpenError) and same and state["status"] == FileStatus.FAILED:
        # Not attempted: the file keeps the failure it has (a data_malformed file is not relabelled as
        # a retryable connectivity failure because a circuit is open).
        return held_by_circuit(job, exc.user_message, ingest)
    c = classify(exc, stage)
    previous = state["attempts"] if same else 0
    attempted = not isinstance(exc, DependencyOpenError)
    attempts = previous + attempted
    status, next_retry_at = FileStatus.FAILED, None
    if c.retryable:
        next_retry_at = ingest.retry.next_retry_at(attempts, utc_now())
        if isinstance(exc, DependencyOpenError):
            # Not a second look at the breaker: that could take the half-open probe for nothing.
            next_retry_at = exc.retry_at
        elif next_retry_at is None:
            status = FileStatus.DEAD_LETTER
    elif c.category in ingest.policy.dead_letter_categories:
        status = FileStatus.DEAD_LETTER
    outcome = FileOutcome(
        domain=job.domain.name,
        file_path=job.key,
        file_hash=file_hash,
        status=status,
        stage=c.stage,
        error_category=c.category,
        retryable=c.retryable and status is FileStatus.FAILED,
        user_message=c.user_message,
        error_message=c.error_message,
        next_retry_at=next_retry_at,
        dependency=c.dependency,
    )
    if status is FileStatus.DEAD_LETTER:
        outcome = _dead_letter(outcome, job.path, state, attempts, ingest)
    try:
        # Bad content replaces what the file held before; a transient fault leaves rows alone.
        ingest.store.commit_file(
            outcome, ingest.run, None, None, replace_rows=not c.retryable, count_attempt=attempted
        )
    except Exception:
        log.exception("workdata: could not record the failure of %s/%s", job.domain.name, job.key)
    return outcome


def _dead_letter(
    outcome: FileOutcome, source: Path, state: dict | None, attempts: int, ingest: Ingest
) -> FileOutcome:
    why = (
        f"Gave up after {attempts} attempt(s)"
        if attempts >= ingest.retry.max_attempts
        else f"Dead-lettered ({outcome.error_category} goes straight to the dead letter in this domain)"
    )
    message = (
        f"{why}: {outcome.user_message} "
        f"Release it with `workdata release {outcome.domain}/{outcome.file_path}` once fixed."
    )
    if ingest.quarantine_dir is None:
        return replace(outcome, user_message=message)
    try:
        first = state.get("first_seen_at") if state else None
        target = quarantine(
            ingest.quarantine_dir,
            outcome,
            source,
            ingest.run.session_id,
            str(first) if first else None,
            attempts,
        )
    except (OSError, ValueError):
        log.exception("workdata: could not quarantine %s/%s", outcome.domain, outcome.file_path)
        return replace(outcome, user_message=message)
    return replace(outcome, user_message=message, quarantine_path=str(target))
