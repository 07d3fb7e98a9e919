"""A file's outcome from its rows (loaded, partial, or rejected by policy) and its one-line JSON log."""

from __future__ import annotations

import re

from workdata.core.errors import RejectedFileError, classify
from workdata.core.file_job import FileJob
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.policy import decide
from workdata.core.records import FileStatus, Stage
from workdata.core.staged import Staged

OUTCOME_EVENT = "file_outcome"
# The attribute of a log record that carries the outcome's fields (logs/workdata.log writes them as JSON).
OUTCOME_FIELDS = "workdata_outcome"
_LINE = re.compile(r"^File .+: (SUCCESS|PARTIAL|FAILED|SKIPPED|DEAD_LETTER)( — |$)")


def outcome_line(outcome: FileOutcome) -> str:
    """The file outcome as one plain line for the run's event log (the JSON fields go to workdata.log)."""
    head = f"File {outcome.domain}/{outcome.file_path}: {outcome.status}"
    if outcome.status in (FileStatus.SUCCESS, FileStatus.PARTIAL):
        rows = f"{outcome.rows_loaded:,} of {outcome.rows_total:,} rows loaded"
        if outcome.rows_failed:
            rows += f", {outcome.rows_failed:,} rejected (most often: {outcome.top_reason})"
        if outcome.rows_dropped:
            rows += f", {outcome.rows_dropped:,} dropped (blank, totals or repeated header rows)"
        return f"{head} — {rows}."
    if outcome.status is FileStatus.SKIPPED:
        return f"{head} — {outcome.user_message}"
    retry = "retried later" if outcome.retryable else "not retried"
    return f"{head} — {outcome.error_category}, {retry}: {outcome.user_message}"


def is_outcome_line(message: str | None) -> bool:
    """True for a line `outcome_line` wrote."""
    return bool(message) and _LINE.match(message) is not None


def outcome_fields(outcome: FileOutcome, run: RunContext) -> dict:
    """The file outcome's fields for the structured log every file gets exactly once (workdata.log)."""
    return {
        "event": OUTCOME_EVENT,
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
        "rows_dropped": outcome.rows_dropped,
        "reason": outcome.top_reason,
    }


def row_outcome(job: FileJob, staged: Staged, ingest: Ingest) -> FileOutcome:
    """The file's outcome from its staged rows and failed records, as the domain's policy decides it."""
    total, loaded, failed = staged.rows_total, staged.rows_loaded, staged.rows_failed
    # Rows dropped on purpose hold no data: they count toward neither the rows judged nor the bad ones.
    decision = decide(ingest.policy, total - staged.rows_dropped, failed, staged.records.first_failure())
    common = dict(
        domain=job.domain.name,
        file_path=job.key,
        file_hash=job.file_hash,
        rows_total=total,
        rows_failed=failed,
        rows_dropped=staged.rows_dropped,
        top_reasons=staged.records.top_reasons(),
        failure_log_path=str(ingest.log_path) if len(staged.records) else None,
        extra_columns=staged.extras,
        sheets=staged.sheets,
        skipped_sheets=staged.skipped_sheets,
        encoding=staged.encoding,
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
