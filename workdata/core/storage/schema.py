"""DDL of the DuckDB store: ledger, attempts, failed records and one warehouse table per domain."""

from __future__ import annotations

from collections.abc import Iterable

from workdata.core.domain import Domain
from workdata.core.lineage import LINEAGE_COLUMNS

FAILED_RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS failed_records (
    session_id VARCHAR NOT NULL, timestamp VARCHAR NOT NULL, domain VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL, row_index BIGINT NOT NULL, error_type VARCHAR NOT NULL,
    raw_data VARCHAR NOT NULL, "column" VARCHAR, "check" VARCHAR, message VARCHAR NOT NULL,
    run_id VARCHAR, attempt INTEGER NOT NULL, file_hash VARCHAR NOT NULL
)"""

_LEDGER_COLUMNS = """
    domain VARCHAR NOT NULL, file_path VARCHAR NOT NULL, file_hash VARCHAR, status VARCHAR NOT NULL,
    stage VARCHAR, error_category VARCHAR, retryable BOOLEAN, user_message VARCHAR,
    error_message VARCHAR, rows_total BIGINT, rows_loaded BIGINT, rows_failed BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0, first_seen_at TIMESTAMPTZ, last_attempt_at TIMESTAMPTZ,
    next_retry_at TIMESTAMPTZ, run_id VARCHAR, session_id VARCHAR, quarantine_path VARCHAR,
    failure_log_path VARCHAR, failure_log_written BOOLEAN NOT NULL DEFAULT TRUE"""

FILE_STATE_DDL = (
    f"CREATE TABLE IF NOT EXISTS file_state ({_LEDGER_COLUMNS},\n    PRIMARY KEY (domain, file_path))"
)
FILE_ATTEMPTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS file_attempts ({_LEDGER_COLUMNS},\n    finished_at TIMESTAMPTZ)"
)

RUN_SUMMARIES_DDL = """
CREATE TABLE IF NOT EXISTS run_summaries (
    run_id VARCHAR PRIMARY KEY, session_id VARCHAR, status VARCHAR NOT NULL,
    files_success INTEGER, files_partial INTEGER, files_failed INTEGER, files_skipped INTEGER,
    files_dead_letter INTEGER, rows_total BIGINT, rows_loaded BIGINT, rows_failed BIGINT,
    top_errors VARCHAR, retryable_failed INTEGER, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ
)"""
RUN_SUMMARY_FIELDS = (
    "run_id",
    "session_id",
    "status",
    "files_success",
    "files_partial",
    "files_failed",
    "files_skipped",
    "files_dead_letter",
    "rows_total",
    "rows_loaded",
    "rows_failed",
    "rows_dropped",
    "top_errors",
    "retryable_failed",
    "started_at",
    "finished_at",
)

# Columns of file_state that one commit writes, in a fixed order for parameter binding.
LEDGER_FIELDS = (
    "domain",
    "file_path",
    "file_hash",
    "status",
    "stage",
    "error_category",
    "retryable",
    "user_message",
    "error_message",
    "rows_total",
    "rows_loaded",
    "rows_failed",
    "rows_dropped",
    "attempts",
    "first_seen_at",
    "last_attempt_at",
    "next_retry_at",
    "run_id",
    "session_id",
    "quarantine_path",
    "failure_log_path",
    "failure_log_written",
    "sheets_skipped",
)


def quote_identifier(name: str) -> str:
    """Double-quote a SQL identifier (domain names are validated identifiers already)."""
    return '"' + name.replace('"', '""') + '"'


def domain_table_ddl(domain: Domain) -> str:
    """CREATE TABLE for a domain's warehouse table, typed by its schema, plus lineage."""
    columns = [*domain.warehouse_columns, *LINEAGE_COLUMNS]
    body = ",\n    ".join(f"{quote_identifier(n)} {t}" for n, t in columns)
    return f"CREATE TABLE IF NOT EXISTS {quote_identifier(domain.name)} (\n    {body}\n)"


def table_ddl(domains: Iterable[Domain]) -> dict[str, str]:
    """Table name -> its CREATE TABLE IF NOT EXISTS statement."""
    return {
        "failed_records": FAILED_RECORDS_DDL,
        "file_state": FILE_STATE_DDL,
        "file_attempts": FILE_ATTEMPTS_DDL,
        "run_summaries": RUN_SUMMARIES_DDL,
        **{d.name: domain_table_ddl(d) for d in domains},
    }


def added_columns(domains: Iterable[Domain]) -> list[tuple[str, str, str]]:
    """(table, column, type) added after the first release, which older databases lack."""
    return [
        ("failed_records", "replayed_at", "TIMESTAMPTZ"),
        # Rows of a file that a newer file of the domain replaced by business key (key_policy replace).
        ("file_state", "rows_superseded", "BIGINT"),
        # Rows dropped on purpose (blank, totals, repeated header): DROPPED_IN_PIPELINE records.
        ("file_state", "rows_dropped", "BIGINT"),
        ("file_attempts", "rows_dropped", "BIGINT"),
        ("run_summaries", "rows_dropped", "BIGINT"),
        # A workbook's sheets not read, with why: JSON [[sheet, reason], ...].
        ("file_state", "sheets_skipped", "VARCHAR"),
        ("file_attempts", "sheets_skipped", "VARCHAR"),
        *((d.name, "_sheet", "VARCHAR") for d in domains),
    ]


def schema_changes(domains: Iterable[Domain], existing: dict[str, set[str]]) -> list[str]:
    """The statements that bring a database with `existing` tables -> columns up to date (none if it is)."""
    domains = list(domains)
    creates = {name: ddl for name, ddl in table_ddl(domains).items() if name not in existing}
    # A table created here lacks only the columns its CREATE does not name (replayed_at).
    created = {name: {c for c, _ in LINEAGE_COLUMNS} for name in creates if name not in _BASE_TABLES}
    alters = [
        f"ALTER TABLE {quote_identifier(table)} ADD COLUMN IF NOT EXISTS {quote_identifier(column)} {kind}"
        for table, column, kind in added_columns(domains)
        if column not in existing.get(table, created.get(table, set()))
    ]
    return [*creates.values(), *alters]


_BASE_TABLES = {"failed_records", "file_state", "file_attempts", "run_summaries"}
