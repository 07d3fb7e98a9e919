"""Failure and state vocabulary: enums, the FailedRecord contract and its fixed column order."""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    """Why one row was rejected."""

    VALIDATION_FAILED = "VALIDATION_FAILED"
    MALFORMED_ROW = "MALFORMED_ROW"
    DROPPED_IN_PIPELINE = "DROPPED_IN_PIPELINE"
    ENRICHMENT_FAILED = "ENRICHMENT_FAILED"
    FK_CONSTRAINT_VIOLATION = "FK_CONSTRAINT_VIOLATION"


class FileStatus(StrEnum):
    """Where one file stands in the ledger."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    DEAD_LETTER = "DEAD_LETTER"


class Stage(StrEnum):
    """The step of a file's path where something happened."""

    DISCOVER = "discover"
    HASH = "hash"
    READ = "read"
    VALIDATE = "validate"
    ENRICH = "enrich"
    LOAD = "load"
    LOG = "log"


class ErrorCategory(StrEnum):
    """File-level failure category; retryability defaults hang off it."""

    DATA_MALFORMED = "data_malformed"
    SCHEMA_MISMATCH = "schema_mismatch"
    AUTH = "auth"
    CONNECTIVITY = "connectivity"
    WRITE_FAILURE = "write_failure"
    UNKNOWN = "unknown"

    @property
    def retryable_by_default(self) -> bool:
        """Transient categories are worth retrying; data and permission problems are not."""
        return self in (
            ErrorCategory.CONNECTIVITY,
            ErrorCategory.WRITE_FAILURE,
            ErrorCategory.UNKNOWN,
        )


# A FailedRecord (one rejected row and one reason) is a row with exactly these columns, in this order,
# in the session CSV and the failed_records table (docs/DESIGN.md section 3); built in bulk as frames.
FAILED_RECORD_COLUMNS: tuple[str, ...] = (
    "session_id",
    "timestamp",
    "domain",
    "source_file",
    "row_index",
    "error_type",
    "raw_data",
    "column",
    "check",
    "message",
    "run_id",
    "attempt",
)
