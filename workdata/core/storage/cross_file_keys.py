"""Business keys across the files of a domain, settled inside a file's commit transaction: identical
content under another name is loaded once, and a key already loaded from another file is rejected (the
first file keeps it) or replaced (the newer file supersedes it), as the domain's key policy says."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pyarrow as pa

from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.policy import DomainPolicy, KeyPolicy, decide
from workdata.core.record_tables import RECORD_SCHEMA
from workdata.core.records import ErrorCategory, ErrorType, FileStatus
from workdata.core.session import iso_utc
from workdata.core.storage.duckdb_connection import Connection
from workdata.core.storage.schema import quote_identifier

KEY_CHECK = "unique_across_files"
LOADED = ("SUCCESS", "PARTIAL")


@dataclass(frozen=True)
class KeyRule:
    """What a commit needs to settle keys across files: the domain's key and value columns, its policy."""

    key: tuple[str, ...]
    columns: tuple[str, ...]
    policy: DomainPolicy
    log_path: str | None = None  # the session CSV the file's records go to (a clean file had none)


def loaded_copy(conn: Connection, outcome: FileOutcome) -> str | None:
    """Another file of the domain whose identical content (same hash) is loaded, or None."""
    row = conn.execute(
        "SELECT file_path FROM file_state WHERE domain = ? AND file_hash = ? AND file_path <> ? "
        "AND status IN ('SUCCESS', 'PARTIAL') ORDER BY file_path LIMIT 1",
        [outcome.domain, outcome.file_hash, outcome.file_path],
    ).fetchone()
    return row[0] if row else None


def as_copy(outcome: FileOutcome, original: str) -> FileOutcome:
    """The SKIPPED outcome of a file whose content is already loaded under another name."""
    return replace(
        outcome,
        status=FileStatus.SKIPPED,
        rows_loaded=0,
        rows_failed=0,
        top_reasons=(),
        failure_log_path=None,
        user_message=f"Same content as {original}, which is already loaded; skipped so its rows are not "
        "loaded twice.",
    )


def settle_keys(conn: Connection, outcome: FileOutcome, run: RunContext, rule: KeyRule) -> FileOutcome:
    """After this file's rows are inserted (same transaction): apply the key policy; the outcome as it now
    stands (more failed rows, or FAILED when they pass the domain's limit)."""
    if not rule.key or not outcome.rows_loaded:
        return outcome
    if rule.policy.key_policy is KeyPolicy.REPLACE:
        _supersede(conn, outcome, rule)
        return outcome
    return _reject(conn, outcome, run, rule)


def _match(rule: KeyRule, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote_identifier(c)} = {right}.{quote_identifier(c)}" for c in rule.key)


def _reject(conn: Connection, outcome: FileOutcome, run: RunContext, rule: KeyRule) -> FileOutcome:
    table = quote_identifier(outcome.domain)
    values = ", ".join(f"t.{quote_identifier(c)}" for c in rule.columns)
    clashes = conn.execute(
        f"SELECT t._row_index, min(o._source_file), {values} FROM {table} t JOIN {table} o "
        f"ON {_match(rule, 't', 'o')} WHERE t._source_file = ? AND o._source_file <> ? "
        f"GROUP BY t._row_index, {values} ORDER BY t._row_index",
        [outcome.file_path, outcome.file_path],
    ).fetchall()
    if not clashes:
        return outcome
    conn.execute(
        f"DELETE FROM {table} WHERE _source_file = ? AND EXISTS (SELECT 1 FROM {table} o "
        f"WHERE {_match(rule, table, 'o')} AND o._source_file <> ?)",
        [outcome.file_path, outcome.file_path],
    )
    conn.insert_arrow("failed_records", _records(outcome, run, rule, clashes))
    failed = outcome.rows_failed + len(clashes)
    reason = f"{'/'.join(rule.key)} already loaded from another file"
    decision = decide(rule.policy, outcome.rows_total, failed, reason)
    reasons = dict(outcome.top_reasons)
    reasons[f"VALIDATION_FAILED {KEY_CHECK}"] = len(clashes)
    top = tuple(sorted(reasons.items(), key=lambda item: -item[1])[:5])
    settled = replace(
        outcome,
        rows_failed=failed,
        rows_loaded=outcome.rows_loaded - len(clashes),
        top_reasons=top,
        # Recovery after a crash finds unwritten CSV lines by this path: a clean file had none.
        failure_log_path=outcome.failure_log_path or rule.log_path,
    )
    if decision.status is not FileStatus.FAILED:
        return replace(settled, status=decision.status)
    conn.execute(f"DELETE FROM {table} WHERE _source_file = ?", [outcome.file_path])
    return replace(
        settled,
        status=FileStatus.FAILED,
        rows_loaded=0,
        error_category=ErrorCategory.DATA_MALFORMED,
        retryable=False,
        user_message=decision.reason,
    )


def _records(outcome: FileOutcome, run: RunContext, rule: KeyRule, clashes: list[tuple]) -> pa.Table:
    count = len(clashes)
    key = ", ".join(rule.key)
    columns = {
        "session_id": [run.session_id] * count,
        "timestamp": [iso_utc()] * count,
        "domain": [outcome.domain] * count,
        "source_file": [outcome.file_path] * count,
        "row_index": [int(c[0]) for c in clashes],
        "error_type": [str(ErrorType.VALIDATION_FAILED)] * count,
        # The row as loaded (its raw text is gone by commit time), every value as text.
        "raw_data": [
            json.dumps(dict(zip(rule.columns, map(_text, c[2:]), strict=True)), ensure_ascii=False)
            for c in clashes
        ],
        "column": [key] * count,
        "check": [KEY_CHECK] * count,
        "message": [
            f"business key ({key}) already loaded from {c[1]}; the first file keeps it" for c in clashes
        ],
        "run_id": [run.run_id] * count,
        "attempt": np.full(count, run.attempt, dtype="int64"),
        "file_hash": [outcome.file_hash or ""] * count,
    }
    return pa.table(
        {name: pa.array(values, RECORD_SCHEMA.field(name).type) for name, values in columns.items()}
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _supersede(conn: Connection, outcome: FileOutcome, rule: KeyRule) -> None:
    table = quote_identifier(outcome.domain)
    older = conn.execute(
        f"SELECT o._source_file, count(*) FROM {table} o WHERE o._source_file <> ? AND EXISTS "
        f"(SELECT 1 FROM {table} t WHERE t._source_file = ? AND {_match(rule, 'o', 't')}) "
        "GROUP BY o._source_file",
        [outcome.file_path, outcome.file_path],
    ).fetchall()
    if not older:
        return
    conn.execute(
        f"DELETE FROM {table} WHERE _source_file <> ? AND EXISTS "
        f"(SELECT 1 FROM {table} t WHERE t._source_file = ? AND {_match(rule, 't', table)})",
        [outcome.file_path, outcome.file_path],
    )
    for path, count in older:
        conn.execute(
            "UPDATE file_state SET rows_loaded = rows_loaded - ?, "
            "rows_superseded = coalesce(rows_superseded, 0) + ? WHERE domain = ? AND file_path = ?",
            [count, count, outcome.domain, path],
        )
