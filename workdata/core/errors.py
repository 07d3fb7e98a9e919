"""Typed workdata exceptions and the classifier that turns any exception into a file failure."""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from workdata.core.records import ErrorCategory, Stage

MAX_ERROR_MESSAGE = 2048
_SECRET_PATTERNS = (
    (re.compile(r"(\w+://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (
        re.compile(r"(?i)\b(password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key)=([^\s&;,]+)"),
        r"\1=***",
    ),
)


class WorkdataError(Exception):
    """Base of workdata's own errors; carries the category, retryability and a plain message."""

    category: ErrorCategory = ErrorCategory.UNKNOWN
    retryable: bool = True
    dependency: str | None = None
    # What the ledger records as the file's hash when its content could not be hashed.
    stand_in_hash: str | None = None

    def __init__(self, user_message: str, *, stage: Stage | None = Stage.READ, detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message
        self.stage = stage  # None: the stage the caller was at (an adapter does not know it)


class TransientError(WorkdataError):
    """A failure that may go away on its own: worth retrying."""

    retryable = True


class TerminalError(WorkdataError):
    """A failure that will happen again with the same input: never retried."""

    retryable = False


class WarehouseError(TransientError):
    """The warehouse failed under a file: locked by another process, out of memory or space, unreachable,
    or a transaction aborted. Raised by the DuckDB and PostgreSQL adapters, which know their errors."""

    category = ErrorCategory.WRITE_FAILURE
    dependency = "warehouse"

    def __init__(self, exc: BaseException) -> None:
        super().__init__(
            _MESSAGES[ErrorCategory.WRITE_FAILURE], stage=None, detail=f"{type(exc).__name__}: {exc}"
        )


class MalformedFileError(TerminalError):
    """The file cannot be parsed at all (empty, not text, truncated, no rows)."""

    category = ErrorCategory.DATA_MALFORMED


class LineTooLongError(MalformedFileError):
    """A row is longer than the parse block it was read with (`block_bytes`)."""

    def __init__(self, user_message: str, *, block_bytes: int, detail: str = "") -> None:
        super().__init__(user_message, detail=detail)
        self.block_bytes = block_bytes


class RejectedFileError(TerminalError):
    """The file parsed, but its bad rows exceed what the domain's policy accepts."""

    category = ErrorCategory.DATA_MALFORMED


class ReferenceUnavailableError(TransientError):
    """A reference/enrichment source could not be read."""

    category = ErrorCategory.CONNECTIVITY

    def __init__(self, name: str, detail: str = "", problem: str = "") -> None:
        what = (
            f"The reference table '{name}' {problem}; this file is not at fault and will be retried "
            "once the reference table is fixed."
            if problem
            else f"The reference table '{name}' could not be read; the file will be retried when it is back."
        )
        super().__init__(what, stage=Stage.ENRICH, detail=detail)
        self.dependency = f"reference:{name}"


class DependencyOpenError(TransientError):
    """A dependency's circuit breaker is open: the file was not attempted."""

    category = ErrorCategory.CONNECTIVITY

    def __init__(self, dependency: str, retry_at: datetime) -> None:
        super().__init__(
            f"Dependency {dependency} unavailable, retrying at {retry_at.isoformat(timespec='seconds')}.",
            stage=Stage.DISCOVER,
        )
        self.dependency = dependency
        self.retry_at = retry_at


class RuleCrashedError(TransientError):
    """A validation rule raised instead of returning a verdict: a bug in the domain, not in the data."""

    category = ErrorCategory.UNKNOWN

    def __init__(self, checks: list[str], detail: str = "") -> None:
        super().__init__(
            f"A validation rule of this domain crashed ({', '.join(checks[:3])}); no row was judged. "
            "Fix the rule; the file will be retried.",
            stage=Stage.VALIDATE,
            detail=detail,
        )


class RunStoppedError(TransientError):
    """The run that was to ingest the file died before it did (its process or worker was killed)."""

    category = ErrorCategory.UNKNOWN

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The run stopped before this file was processed (its process died); it will be retried.",
            stage=Stage.DISCOVER,
            detail=detail,
        )


class VanishedFileError(TerminalError):
    """The file was renamed or deleted while it was read: nothing to retry; back in the inbox, it is new."""

    category = ErrorCategory.CONNECTIVITY

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The file was renamed or deleted while it was read; nothing was loaded. "
            "Dropped into the inbox again, it is ingested as a new file.",
            detail=detail,
        )


class UnreadableFileError(TerminalError):
    """The process may not read the file: its permissions, not its content, are at fault."""

    category = ErrorCategory.AUTH

    def __init__(self, stand_in_hash: str, detail: str = "") -> None:
        super().__init__(
            "workdata may not read this file (permission denied); grant it read access and it is "
            "picked up again.",
            stage=Stage.HASH,
            detail=detail,
        )
        self.stand_in_hash = stand_in_hash


class UnsafePathError(TerminalError, ValueError):
    """A partition key or file name that would leave its folder: refused, never retried."""

    category = ErrorCategory.AUTH

    def __init__(self, key: str, folder: str) -> None:
        super().__init__(
            f"The file name {key!r} points outside the {folder} inbox; it was refused.", stage=Stage.DISCOVER
        )


class SchemaMismatchError(TerminalError):
    """The file parses but lacks required columns."""

    category = ErrorCategory.SCHEMA_MISMATCH

    def __init__(self, missing: list[str], found: list[str]) -> None:
        close = [m for name in missing for m in difflib.get_close_matches(name, found, n=1)]
        hint = f" (closest header found: {', '.join(close)})" if close else ""
        super().__init__(
            f"Required column(s) missing: {', '.join(missing)}{hint}. "
            "Fix the header and drop the file again.",
            stage=Stage.VALIDATE,
            detail=f"missing={missing} found={found}",
        )
        self.missing = missing
        self.found = found


@dataclass(frozen=True)
class Classification:
    """What a file failure means for the operator: category, retry, message, redacted detail."""

    category: ErrorCategory
    retryable: bool
    user_message: str
    error_message: str
    stage: Stage
    dependency: str | None = None


def redact(text: str) -> str:
    """Strip credentials from URLs and key=value pairs, then cap the length."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text[:MAX_ERROR_MESSAGE]


def classify(exc: BaseException, stage: Stage = Stage.READ) -> Classification:
    """Map any exception to a category, retryability and a one- or two-sentence message."""
    detail = redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, WorkdataError):
        return Classification(
            exc.category, exc.retryable, exc.user_message, detail, exc.stage or stage, exc.dependency
        )
    category = _category(exc)
    # Write failures are the warehouse's; the circuit breaker counts them against it.
    dependency = "warehouse" if category is ErrorCategory.WRITE_FAILURE else None
    return Classification(
        category, category.retryable_by_default, _MESSAGES[category], detail, stage, dependency
    )


_MALFORMED_TYPES = ("ParserError", "EmptyDataError", "ArrowInvalid", "JSONDecodeError", "CSVError")
_MESSAGES = {
    ErrorCategory.DATA_MALFORMED: "The file could not be parsed as text of its declared format; "
    "re-export it (UTF-8, one header row) and drop it again.",
    ErrorCategory.SCHEMA_MISMATCH: "A column the domain needs is missing; "
    "fix the header and drop the file again.",
    ErrorCategory.AUTH: "workdata was refused access to a file or service it needs; "
    "check its permissions or credentials.",
    ErrorCategory.WRITE_FAILURE: "The warehouse could not be written (locked by another process or out "
    "of space); the file will be retried.",
    ErrorCategory.CONNECTIVITY: "A file or service workdata needs was unreachable or too slow; "
    "the file will be retried.",
    ErrorCategory.UNKNOWN: "An unexpected error stopped this file; it will be retried and the full "
    "trace is in the logs.",
}


def _category(exc: BaseException) -> ErrorCategory:
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(exc).lower()
    if isinstance(exc, UnicodeError | RecursionError | csv.Error) or names & set(_MALFORMED_TYPES):
        return ErrorCategory.DATA_MALFORMED
    if isinstance(exc, PermissionError) or "permission denied" in text or "access denied" in text:
        return ErrorCategory.AUTH
    if isinstance(exc, KeyError) or "not found in axis" in text or "missing column" in text:
        return ErrorCategory.SCHEMA_MISMATCH
    if isinstance(exc, (OSError, TimeoutError, ConnectionError)) or "timed out" in text or "timeout" in text:
        return ErrorCategory.CONNECTIVITY
    return ErrorCategory.UNKNOWN
