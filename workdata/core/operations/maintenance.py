"""Retention: prune old attempts, failed records and run summaries; forget failures that later succeeded."""

from __future__ import annotations

from datetime import datetime, timedelta

from workdata.core.session import iso_utc
from workdata.core.storage.store import Store


def prune(store: Store, retention_days: int, now: datetime) -> dict[str, int]:
    """Delete history older than the retention period, keeping whatever a current ledger row refers to."""
    cutoff = now - timedelta(days=retention_days)
    statements = {
        "attempts_pruned": ("DELETE FROM file_attempts WHERE finished_at < ? RETURNING 1", [cutoff]),
        "failure_counts_cleared": (
            "DELETE FROM file_attempts a WHERE a.status = 'FAILED' AND EXISTS (SELECT 1 FROM file_state s "
            "WHERE s.domain = a.domain AND s.file_path = a.file_path AND s.status IN ('SUCCESS', 'PARTIAL')) "
            "RETURNING 1",
            [],
        ),
        "failed_records_pruned": (
            "DELETE FROM failed_records f WHERE f.timestamp < ? AND NOT EXISTS (SELECT 1 FROM file_state s "
            "WHERE s.domain = f.domain AND s.file_path = f.source_file AND s.session_id = f.session_id) "
            "RETURNING 1",
            [iso_utc(cutoff)],
        ),
        "run_summaries_pruned": ("DELETE FROM run_summaries WHERE finished_at < ? RETURNING 1", [cutoff]),
    }
    counts = {}
    with store.connect() as conn:
        conn.execute("BEGIN TRANSACTION")
        for name, (sql, params) in statements.items():
            counts[name] = len(conn.execute(sql, params).fetchall())
        conn.execute("COMMIT")
    return counts
