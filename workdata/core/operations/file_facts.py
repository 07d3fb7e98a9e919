"""What an operator needs to know about one failed or partial file, from the ledger: why, whether and when
it is retried, what to do, and its first rejected rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from workdata.core.storage.store import Store

REJECTED_ROWS_SHOWN = 10


@dataclass(frozen=True)
class FailedFileFacts:
    """A FAILED or DEAD_LETTER file as its partition tells it."""

    status: str
    category: str
    reason: str
    retryable: bool
    attempts: int
    max_attempts: int
    last_attempt_at: datetime | None
    next_retry: str
    action: str
    quarantine_path: str | None
    failure_log_path: str | None


def failed_file_facts(domain: str, state: dict, max_attempts: int) -> FailedFileFacts:
    """The facts of a failed file from its ledger row."""
    name = f"{domain}/{state['file_path']}"
    retryable = bool(state["retryable"])
    next_at = state["next_retry_at"]
    if state["status"] == "DEAD_LETTER":
        next_retry = "never (dead letter)"
        action = f"fix it, then `workdata release {name}` (or the release_file job)"
    elif retryable:
        when = pd.Timestamp(next_at).isoformat(timespec="seconds") if next_at is not None else "now"
        next_retry = f"at {when} (attempt {state['attempts'] + 1} of {max_attempts})"
        action = f"nothing; now: `workdata retry --domain {domain} --file {state['file_path']}`"
    else:
        next_retry = "never (the same content fails again)"
        action = "fix the file and drop it again (new content is ingested as new)"
    return FailedFileFacts(
        status=str(state["status"]),
        category=str(state["error_category"]),
        reason=str(state["user_message"]),
        retryable=retryable,
        attempts=int(state["attempts"] or 0),
        max_attempts=max_attempts,
        last_attempt_at=state["last_attempt_at"],
        next_retry=next_retry,
        action=action,
        quarantine_path=state["quarantine_path"],
        failure_log_path=state["failure_log_path"],
    )


@dataclass(frozen=True)
class RejectedRow:
    """One rejected row and reason as a partition shows it."""

    row_index: int
    column: str
    check: str
    value: str
    message: str


def first_rejected_rows(
    store: Store, domain: str, files: list[str], per_file: int = REJECTED_ROWS_SHOWN
) -> dict[str, list[RejectedRow]]:
    """The first rejected rows of each of `files` (by row number), in one query."""
    if not files:
        return {}
    marks = ", ".join("?" * len(files))
    with store.connect() as conn:
        frame = conn.execute(
            'SELECT source_file, row_index, "column", "check", message, raw_data FROM ('
            "SELECT *, row_number() OVER (PARTITION BY source_file ORDER BY row_index, error_type) AS n "
            f"FROM failed_records WHERE domain = ? AND source_file IN ({marks}) AND replayed_at IS NULL"
            ") AS ranked WHERE n <= ? ORDER BY source_file, n",
            [domain, *files, per_file],
        ).df()
    found: dict[str, list[RejectedRow]] = {}
    for row in frame.itertuples():
        column = "" if pd.isna(row.column) else str(row.column)
        found.setdefault(row.source_file, []).append(
            RejectedRow(
                int(row.row_index), column, str(row.check), _value(row.raw_data, column), str(row.message)
            )
        )
    return found


def _value(raw_data: str, column: str) -> str:
    try:
        raw = json.loads(raw_data)
    except ValueError:
        return ""
    if not isinstance(raw, dict):
        return ""
    if column in raw:
        return str(raw[column])
    return str(raw.get("_raw_line", ""))[:200]
