"""Operator actions on the ledger: which files are due for retry, release, clear, mark due now, stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workdata.core.session import utc_now
from workdata.core.storage.store import Store


@dataclass(frozen=True)
class DueFile:
    """A failed file whose retry is due (attempts = attempts used so far)."""

    domain: str
    key: str
    sha256: str
    attempts: int
    session_id: str | None


def _filters(domain: str | None, file_path: str | None, category: str | None) -> tuple[str, list]:
    given = {"domain": domain, "file_path": file_path, "error_category": category}
    return "".join(f" AND {k} = ?" for k, v in given.items() if v is not None), [
        v for v in given.values() if v is not None
    ]


def due_retries(
    store: Store,
    now: datetime,
    max_attempts: int,
    *,
    ignore_backoff: bool = False,
    only_retryable: bool = True,
    domain: str | None = None,
    file_path: str | None = None,
    category: str | None = None,
) -> list[DueFile]:
    """FAILED files under the attempt cap whose next_retry_at has come (or all, ignoring backoff)."""
    extra, values = _filters(domain, file_path, category)
    sql = (
        "SELECT domain, file_path, coalesce(file_hash, ''), attempts, session_id FROM file_state "
        "WHERE status = 'FAILED' AND attempts < ?"
        + (" AND retryable" if only_retryable else "")
        + ("" if ignore_backoff else " AND (next_retry_at IS NULL OR next_retry_at <= ?)")
        + extra
        + " ORDER BY domain, file_path"
    )
    params = [max_attempts, *([] if ignore_backoff else [now]), *values]
    with store.connect() as conn:
        return [DueFile(*row) for row in conn.execute(sql, params).fetchall()]


def next_due(store: Store, max_attempts: int) -> tuple[datetime, str] | None:
    """When the next FAILED, retryable file under the cap comes due, and which one ('domain/file')."""
    with store.connect() as conn:
        row = conn.execute(
            "SELECT next_retry_at, domain, file_path FROM file_state WHERE status = 'FAILED' AND retryable "
            "AND attempts < ? AND next_retry_at IS NOT NULL "
            "ORDER BY next_retry_at, domain, file_path LIMIT 1",
            [max_attempts],
        ).fetchone()
    return (row[0], f"{row[1]}/{row[2]}") if row else None


def mark_due_now(
    store: Store,
    now: datetime,
    *,
    domain: str | None = None,
    file_path: str | None = None,
    category: str | None = None,
) -> int:
    """Make matching FAILED files due at once (the retry sensor launches them on its next tick)."""
    extra, values = _filters(domain, file_path, category)
    with store.connect() as conn:
        rows = conn.execute(
            "UPDATE file_state SET next_retry_at = ?, retryable = TRUE WHERE status = 'FAILED'"
            + extra
            + " RETURNING file_path",
            [now, *values],
        ).fetchall()
    return len(rows)


def release(store: Store, domain: str, file_path: str) -> bool:
    """A DEAD_LETTER file goes back to PENDING with its attempts reset; True when one was released."""
    with store.connect() as conn:
        rows = conn.execute(
            "UPDATE file_state SET status = 'PENDING', attempts = 0, next_retry_at = NULL "
            "WHERE domain = ? AND file_path = ? AND status = 'DEAD_LETTER' RETURNING file_path",
            [domain, file_path],
        ).fetchall()
    return bool(rows)


def clear(store: Store, statuses: list[str]) -> int:
    """Forget the ledger rows with these statuses (their files count as new again)."""
    with store.connect() as conn:
        rows = conn.execute(
            f"DELETE FROM file_state WHERE status IN ({', '.join('?' * len(statuses))}) RETURNING file_path",
            statuses,
        ).fetchall()
    return len(rows)


def stats(store: Store, stuck_after_hours: float = 1.0) -> dict:
    """Counts by status and category, failure rate, retry success rate and files that look stuck."""
    with store.connect() as conn:
        by_status = dict(conn.execute("SELECT status, count(*) FROM file_state GROUP BY status").fetchall())
        by_category = dict(
            conn.execute(
                "SELECT error_category, count(*) FROM file_state WHERE status IN ('FAILED', 'DEAD_LETTER') "
                "GROUP BY error_category"
            ).fetchall()
        )
        rows_total, rows_failed = conn.execute(
            "SELECT coalesce(sum(rows_total - coalesce(rows_dropped, 0)), 0), coalesce(sum(rows_failed), 0) "
            "FROM file_state "
            "WHERE status IN ('SUCCESS', 'PARTIAL')"
        ).fetchone()
        retried, recovered = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('SUCCESS', 'PARTIAL')) FROM file_state "
            "WHERE attempts > 1"
        ).fetchone()
        stuck = [
            f"{d}/{f}"
            for d, f in conn.execute(
                "SELECT domain, file_path FROM file_state WHERE (status IN ('IN_PROGRESS', 'PENDING') "
                "OR (status = 'FAILED' AND retryable)) AND last_attempt_at < ? "
                "ORDER BY domain, file_path",
                [utc_now() - timedelta(hours=stuck_after_hours)],
            ).fetchall()
        ]
    return {
        "files_by_status": by_status,
        "failures_by_category": by_category,
        "row_failure_rate": rows_failed / rows_total if rows_total else 0.0,
        "files_retried": retried,
        "retry_success_rate": recovered / retried if retried else None,
        "files_stuck": stuck,
    }
