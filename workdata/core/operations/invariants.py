"""Checks of docs/DESIGN.md section 4's invariants against the store; each returns plain-text violations."""

from __future__ import annotations

from collections.abc import Collection

from workdata.core.storage.schema import quote_identifier
from workdata.core.storage.store import Store


def reconciliation_violations(
    store: Store, domain: str | None = None, files: Collection[str] | None = None
) -> list[str]:
    """Invariant 1: a loaded file has rows_total = loaded + failed + dropped (+ superseded by a newer file)
    rows and exactly rows_loaded rows in the warehouse; a FAILED file has none there; every file's
    rows_failed + rows_dropped is the number of its distinct rows in failed_records."""
    violations: list[str] = []
    with store.connect() as conn:
        for name in [domain] if domain else list(store.domains):
            table = quote_identifier(name)
            rows = conn.execute(
                f"""
                SELECT s.file_path, s.status, s.rows_total, s.rows_loaded, s.rows_failed,
                       coalesce(s.rows_dropped, 0), coalesce(s.rows_superseded, 0),
                       (SELECT count(*) FROM {table} w WHERE w._source_file = s.file_path),
                       (SELECT count(DISTINCT f.row_index) FROM failed_records f
                        WHERE f.domain = s.domain AND f.source_file = s.file_path
                          AND f.session_id = s.session_id AND f.replayed_at IS NULL)
                FROM file_state s WHERE s.domain = ? AND s.status IN ('SUCCESS', 'PARTIAL', 'FAILED')
                """,
                [name],
            ).fetchall()
            for (
                path,
                status,
                total,
                loaded,
                ledger_failed,
                dropped,
                superseded,
                in_warehouse,
                recorded,
            ) in rows:
                if files is not None and path not in files:
                    continue
                if in_warehouse != loaded:
                    violations.append(f"{name}/{path}: warehouse holds {in_warehouse}, ledger says {loaded}")
                failed = recorded - dropped  # a dropped row has its one DROPPED_IN_PIPELINE record
                if status != "FAILED" and total != loaded + failed + dropped + superseded:
                    violations.append(
                        f"{name}/{path}: {total} rows != {loaded} loaded + {failed} failed"
                        + (f" + {dropped} dropped" if dropped else "")
                        + (f" + {superseded} superseded" if superseded else "")
                    )
                if (ledger_failed or 0) != failed:
                    violations.append(
                        f"{name}/{path}: the ledger counts {ledger_failed} failed rows, failed_records holds "
                        f"{failed}" + (f" (and {dropped} dropped)" if dropped else "")
                    )
    return violations


def unrecorded_failures(store: Store) -> list[str]:
    """Invariant 4: no FAILED file lacks a category and a user message."""
    with store.connect() as conn:
        rows = conn.execute(
            "SELECT domain, file_path FROM file_state WHERE status = 'FAILED' "
            "AND (error_category IS NULL OR user_message IS NULL OR user_message = '')"
        ).fetchall()
    return [f"{domain}/{path}: FAILED without category or message" for domain, path in rows]
