"""The store: one transaction per file commit, ledger reads, failure-log reads (DuckDB or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pandas as pd

from workdata.core.domain import Domain
from workdata.core.faults import checkpoint
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.session import utc_now
from workdata.core.staged import FailedRecords, GoodRows
from workdata.core.storage.cross_file_keys import KeyRule, as_copy, loaded_copy, settle_keys
from workdata.core.storage.duckdb_connection import Connection, Connector
from workdata.core.storage.ledger_rows import INSERT_ATTEMPT, UPSERT_STATE, ledger_values, previous_attempts
from workdata.core.storage.schema import quote_identifier, schema_changes

# SQL text here is built from module constants only; every value is a bound parameter.


_NO_ROWS = np.zeros(0, dtype=np.int64)


class Store:
    """Ledger, failed records and warehouse tables in one database, reached through `connect`."""

    def __init__(self, connect: Connector, domains: Iterable[Domain]) -> None:
        self.connect = connect
        self.domains = {d.name: d for d in domains}

    def _reusing(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        # Opening DuckDB costs ~15-25 ms: a caller doing several steps passes its one connection.
        return nullcontext(conn) if conn is not None else self.connect()

    def ensure_schema(self) -> None:
        """Create missing tables and columns; safe to call on every run or tick (a no-op when current)."""
        with self.connect() as conn:
            # Up-to-date databases (the usual case) run no DDL at all: on PostgreSQL even ALTER ... IF NOT
            # EXISTS takes an exclusive table lock, which would queue behind (or deadlock with) commits.
            if not schema_changes(self.domains.values(), _columns(conn)):
                return
            conn.execute("BEGIN TRANSACTION")
            try:
                # Two processes creating the same table at once would collide on a server database.
                conn.lock("workdata schema")
                for statement in schema_changes(self.domains.values(), _columns(conn)):
                    conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def get_state(self, domain: str, file_path: str, conn: Connection | None = None) -> dict | None:
        """The ledger row of one file, or None when never seen (through `conn` when given)."""
        with self._reusing(conn) as conn:
            cursor = conn.execute(
                "SELECT * FROM file_state WHERE domain = ? AND file_path = ?", [domain, file_path]
            )
            row = cursor.fetchone()
            return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def get_states(self, domain: str, file_paths: Iterable[str]) -> dict[str, dict | None]:
        """The ledger rows of many files in few queries (None for files never seen)."""
        wanted = list(dict.fromkeys(file_paths))
        found: dict[str, dict | None] = dict.fromkeys(wanted)
        with self.connect() as conn:
            for start in range(0, len(wanted), 500):  # a bounded number of parameters per statement
                part = wanted[start : start + 500]
                marks = ", ".join("?" * len(part))
                cursor = conn.execute(
                    f"SELECT * FROM file_state WHERE domain = ? AND file_path IN ({marks})", [domain, *part]
                )
                names = [d[0] for d in cursor.description]
                for row in cursor.fetchall():
                    state = dict(zip(names, row, strict=True))
                    found[state["file_path"]] = state
        return found

    def processed_hashes(self) -> dict[tuple[str, str], str]:
        """(domain, file_path) -> the content hash the ledger last recorded for it."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT domain, file_path, file_hash FROM file_state "
                "WHERE file_hash IS NOT NULL AND status <> 'PENDING'"
            ).fetchall()
        return {(domain, path): file_hash for domain, path, file_hash in rows}

    def known_bad(self, file_hash: str, domain: str, file_path: str) -> tuple[str, str, str] | None:
        """(domain, file_path, status) of another file whose content `file_hash` FAILED or was
        dead-lettered (the file itself is not "known bad" to itself: its retry must run)."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT domain, file_path, status FROM file_state WHERE file_hash = ? "
                "AND status IN ('FAILED', 'DEAD_LETTER') AND NOT (domain = ? AND file_path = ?) "
                "ORDER BY last_attempt_at DESC LIMIT 1",
                [file_hash, domain, file_path],
            ).fetchone()
        return tuple(row) if row else None

    def commit_file(
        self,
        outcome: FileOutcome,
        run: RunContext,
        good: GoodRows | None,
        failed: FailedRecords | None,
        *,
        replace_rows: bool = True,
        count_attempt: bool = True,
        conn: Connection | None = None,
        keys: KeyRule | None = None,
    ) -> FileOutcome:
        """Replace the file's rows and failures and upsert its ledger row, all in one transaction; the
        outcome as committed (with `keys`, identical content loaded under another name is SKIPPED and
        business keys loaded from other files are settled by the domain's key policy).

        With replace_rows=False only the ledger is written (a transient failure keeps old rows). Through
        `conn` when given (a group of small files' commits), else over a connection of its own.
        """
        table = quote_identifier(outcome.domain)
        with self._reusing(conn) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                # On a server database two runs may commit the same file at once; they take turns.
                conn.lock(f"{outcome.domain}/{outcome.file_path}")
                previous = previous_attempts(conn, outcome)
                committed = outcome
                if replace_rows and keys is not None and outcome.rows_loaded:
                    # Files of one domain settle keys one at a time (a no-op lock on DuckDB's one writer).
                    conn.lock(f"{outcome.domain} keys")
                    original = loaded_copy(conn, outcome)
                    if original is not None:
                        committed, good, failed = as_copy(outcome, original), None, None
                if replace_rows:
                    self._replace_rows(conn, table, outcome, good, failed)
                    if keys is not None:
                        committed = settle_keys(conn, committed, run, keys)
                checkpoint("mid_commit", outcome.file_path)
                logged = (
                    failed is None or not failed.num_rows
                ) and committed.rows_failed <= outcome.rows_failed
                self._write_ledger(conn, committed, run, previous + int(count_attempt), logged=logged)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return committed

    def _replace_rows(
        self,
        conn: Connection,
        table: str,
        outcome: FileOutcome,
        good: GoodRows | None,
        failed: FailedRecords | None,
    ) -> None:
        # Whatever session recorded them: the file's failed records are those of its latest content.
        conn.execute(
            "DELETE FROM failed_records WHERE domain = ? AND source_file = ?",
            [outcome.domain, outcome.file_path],
        )
        # Failed records before the rows: their memory is freed before the database's buffers fill.
        if failed is not None:
            for records in failed.tables():
                conn.insert_arrow("failed_records", records)
            # Spilled records: the database reads the Parquet files itself (DuckDB keeps inserted Arrow
            # buffers alive until the transaction ends: slices would add up to every record in memory).
            for path in failed.parquet_files():
                conn.insert_parquet("failed_records", path, _NO_ROWS)
        conn.execute(f"DELETE FROM {table} WHERE _source_file = ?", [outcome.file_path])
        if good is not None:
            for rows in good.tables:
                conn.insert_arrow(table, rows)
            for path, skip in good.files:
                conn.insert_parquet(table, path, skip)

    def record_attempt(self, outcome: FileOutcome, run: RunContext) -> None:
        """Record a skip in the attempt history without touching the file's state."""
        with self.connect() as conn:
            conn.execute(INSERT_ATTEMPT, [*ledger_values(outcome, run, 0, True), utc_now()])

    def mark_log_written(self, domain: str, file_path: str, conn: Connection | None = None) -> None:
        """The file's failed records reached the session CSV (through `conn` when given)."""
        with self._reusing(conn) as conn:
            conn.execute(
                "UPDATE file_state SET failure_log_written = TRUE WHERE domain = ? AND file_path = ?",
                [domain, file_path],
            )

    def failed_records(
        self,
        *,
        session_id: str | None = None,
        domain: str | None = None,
        source_file: str | None = None,
    ) -> pd.DataFrame:
        """Failed records in contract column order, filtered, ordered by file and row."""
        filters = {"session_id": session_id, "domain": domain, "source_file": source_file}
        where = [f"{k} = ?" for k, v in filters.items() if v is not None]
        sql = (
            f"SELECT {', '.join(quote_identifier(c) for c in FAILED_RECORD_COLUMNS)} FROM failed_records"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + ' ORDER BY timestamp, domain, source_file, row_index, error_type, "column"'
        )
        with self.connect() as conn:
            return conn.execute(sql, [v for v in filters.values() if v is not None]).df()

    def attempts(self, session_id: str) -> pd.DataFrame:
        """Every attempt of a session, in order: what `workdata run` reports."""
        with self.connect() as conn:
            return conn.execute(
                "SELECT * FROM file_attempts WHERE session_id = ? ORDER BY finished_at",
                [session_id],
            ).df()

    def _write_ledger(
        self, conn: Connection, outcome: FileOutcome, run: RunContext, attempts: int, logged: bool
    ) -> None:
        values = ledger_values(outcome, run, attempts, logged)
        conn.execute(UPSERT_STATE, values)
        conn.execute(INSERT_ATTEMPT, [*values, utc_now()])


def _columns(conn: Connection) -> dict[str, set[str]]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns
