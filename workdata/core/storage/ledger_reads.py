"""Reads for operators (run summaries, failed files, attempts of a run) and run-summary writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from workdata.core.storage.schema import RUN_SUMMARY_FIELDS
from workdata.core.storage.store import Store

_UPSERT_SUMMARY = (
    f"INSERT INTO run_summaries ({', '.join(RUN_SUMMARY_FIELDS)}) "
    f"VALUES ({', '.join('?' * len(RUN_SUMMARY_FIELDS))}) ON CONFLICT (run_id) DO UPDATE SET "
    + ", ".join(f"{f} = EXCLUDED.{f}" for f in RUN_SUMMARY_FIELDS if f != "run_id")
)


def save_run_summary(store: Store, row: dict[str, object]) -> None:
    """Insert or replace the summary of one run, given as its row (`RunSummary.as_row()`)."""
    with store.connect() as conn:
        conn.execute(_UPSERT_SUMMARY, [row[name] for name in RUN_SUMMARY_FIELDS])


def attempts_for_run(store: Store, run_id: str) -> pd.DataFrame:
    """Every attempt a run recorded, in order."""
    with store.connect() as conn:
        return conn.execute(
            "SELECT * FROM file_attempts WHERE run_id = ? ORDER BY finished_at", [run_id]
        ).df()


def latest_run_summaries(store: Store, limit: int = 20) -> pd.DataFrame:
    """The most recent run summaries, newest first."""
    with store.connect() as conn:
        return conn.execute(
            "SELECT * FROM run_summaries ORDER BY finished_at DESC NULLS LAST, run_id LIMIT ?", [limit]
        ).df()


def failed_files(
    store: Store,
    *,
    statuses: tuple[str, ...] = ("FAILED", "DEAD_LETTER"),
    domain: str | None = None,
    category: str | None = None,
    retryable: bool | None = None,
    session_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """Ledger rows of failed files (FAILED and DEAD_LETTER unless told), filtered, most recent first,
    one page at a time."""
    filters = {"domain": domain, "error_category": category, "retryable": retryable, "session_id": session_id}
    where = [f"status IN ({', '.join('?' * len(statuses))})"]
    where += [f"{name} = ?" for name, v in filters.items() if v is not None]
    values = [*statuses, *(v for v in filters.values() if v is not None)]
    sql = (
        "SELECT domain, file_path, status, error_category, retryable, user_message, attempts, "
        "last_attempt_at, next_retry_at, quarantine_path, session_id "
        f"FROM file_state WHERE {' AND '.join(where)} "
        "ORDER BY last_attempt_at DESC, domain, file_path LIMIT ? OFFSET ?"
    )
    with store.connect() as conn:
        return conn.execute(sql, [*values, limit, offset]).df()


def session_known(store: Store, session_id: str) -> bool:
    """True when any attempt or run summary of `session_id` is recorded."""
    with store.connect() as conn:
        found = conn.execute(
            "SELECT 1 FROM file_attempts WHERE session_id = ? "
            "UNION ALL SELECT 1 FROM run_summaries WHERE session_id = ? LIMIT 1",
            [session_id, session_id],
        ).fetchall()
    return bool(found)


@dataclass(frozen=True)
class FailingFiles:
    """The files of a domain that stand FAILED or DEAD_LETTER in the ledger right now."""

    failed: int
    dead_letter: int
    top_category: str | None
    last_failure_at: datetime | None
    states: tuple[dict, ...]  # their ledger rows, retryable first (soonest retry first), at most `shown`

    @property
    def count(self) -> int:
        """Failed and dead-lettered files together."""
        return self.failed + self.dead_letter


def failing_files(store: Store, domain: str, shown: int = 50) -> FailingFiles:
    """What the ledger says is failing in `domain` now (one connection)."""
    with store.connect() as conn:
        frame = conn.execute(
            "SELECT * FROM file_state WHERE domain = ? AND status IN ('FAILED', 'DEAD_LETTER') "
            "ORDER BY retryable DESC NULLS LAST, next_retry_at NULLS LAST, last_attempt_at DESC, file_path",
            [domain],
        ).df()
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    categories = Counter(str(r["error_category"]) for r in rows)
    latest = max((r["last_attempt_at"] for r in rows if r["last_attempt_at"] is not None), default=None)
    return FailingFiles(
        failed=sum(1 for r in rows if r["status"] == "FAILED"),
        dead_letter=sum(1 for r in rows if r["status"] == "DEAD_LETTER"),
        top_category=categories.most_common(1)[0][0] if categories else None,
        last_failure_at=latest,
        states=tuple(rows[:shown]),
    )
