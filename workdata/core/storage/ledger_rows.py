"""The ledger's rows: one per file (file_state, upserted) and one per attempt (file_attempts)."""

from __future__ import annotations

import json

from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.session import utc_now
from workdata.core.storage.duckdb_connection import Connection
from workdata.core.storage.schema import LEDGER_FIELDS

# SQL text here is built from module constants only; every value is a bound parameter.
UPSERT_STATE = (
    f"INSERT INTO file_state ({', '.join(LEDGER_FIELDS)}) VALUES ({', '.join('?' * len(LEDGER_FIELDS))}) "
    "ON CONFLICT (domain, file_path) DO UPDATE SET "
    + ", ".join(
        f"{f} = EXCLUDED.{f}" for f in LEDGER_FIELDS if f not in ("domain", "file_path", "first_seen_at")
    )
)
INSERT_ATTEMPT = (
    f"INSERT INTO file_attempts ({', '.join(LEDGER_FIELDS)}, finished_at) "
    f"VALUES ({', '.join('?' * (len(LEDGER_FIELDS) + 1))})"
)


def previous_attempts(conn: Connection, outcome: FileOutcome) -> int:
    """Attempts the ledger counts for the file's current content (0 when its content changed)."""
    row = conn.execute(
        "SELECT attempts, file_hash FROM file_state WHERE domain = ? AND file_path = ?",
        [outcome.domain, outcome.file_path],
    ).fetchone()
    return int(row[0]) if row and row[1] == outcome.file_hash else 0


def ledger_values(outcome: FileOutcome, run: RunContext, attempts: int, logged: bool) -> list:
    """The ledger row of `outcome`, in LEDGER_FIELDS order."""
    now = utc_now()
    return [
        outcome.domain,
        outcome.file_path,
        outcome.file_hash,
        str(outcome.status),
        outcome.stage and str(outcome.stage),
        outcome.error_category and str(outcome.error_category),
        outcome.retryable,
        outcome.user_message,
        outcome.error_message,
        outcome.rows_total,
        outcome.rows_loaded,
        outcome.rows_failed,
        outcome.rows_dropped,
        attempts,
        now,
        now,
        outcome.next_retry_at,
        run.run_id,
        run.session_id,
        outcome.quarantine_path,
        outcome.failure_log_path,
        logged,
        json.dumps(outcome.skipped_sheets, ensure_ascii=False) if outcome.skipped_sheets else None,
    ]
