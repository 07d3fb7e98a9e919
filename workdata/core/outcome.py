"""What happened to one file, and the run it happened in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workdata.core.records import ErrorCategory, FileStatus, Stage


@dataclass(frozen=True)
class RunContext:
    """Who is processing: the session, the Dagster run and the attempt number."""

    session_id: str
    run_id: str | None = None
    attempt: int = 1


@dataclass(frozen=True)
class FileOutcome:
    """The recorded result of processing one file; a FAILED one always has a category and message."""

    domain: str
    file_path: str
    file_hash: str | None
    status: FileStatus
    stage: Stage | None = None
    rows_total: int = 0
    rows_loaded: int = 0
    rows_failed: int = 0
    rows_dropped: int = 0  # blank, filler, totals, repeated-header rows: recorded, not data, not failures
    error_category: ErrorCategory | None = None
    retryable: bool | None = None
    user_message: str | None = None
    error_message: str | None = None
    top_reasons: tuple[tuple[str, int], ...] = field(default=())
    failure_log_path: str | None = None
    next_retry_at: datetime | None = None
    quarantine_path: str | None = None
    dependency: str | None = None
    extra_columns: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()  # a workbook's data sheets read
    skipped_sheets: tuple[tuple[str, str], ...] = ()  # its other sheets: (name, why not read)
    encoding: str | None = None  # a text file's encoding, as read (utf-8, utf-8-sig, utf-16)
    # For a SKIPPED file: the status its ledger row holds (None when another run holds the file).
    previous_status: FileStatus | None = None

    @property
    def standing(self) -> FileStatus | None:
        """What the file is: its own status, or for a skipped file the status it keeps in the ledger."""
        return self.previous_status if self.status is FileStatus.SKIPPED else self.status

    @property
    def loaded(self) -> bool:
        """True when the file's rows are in the warehouse (now or from an earlier identical load)."""
        return self.standing in (FileStatus.SUCCESS, FileStatus.PARTIAL)

    @property
    def failed(self) -> bool:
        """True when the file is FAILED or DEAD_LETTER (now, or still, for skipped known-bad content)."""
        return self.standing in (FileStatus.FAILED, FileStatus.DEAD_LETTER)

    @property
    def top_reason(self) -> str:
        """The most frequent failure reason, or the file-level message."""
        if self.top_reasons:
            return self.top_reasons[0][0]
        return self.user_message or ""
