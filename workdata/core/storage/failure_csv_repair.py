"""Finish failure-log appends that a killed process committed to DuckDB but never wrote to its CSV."""

from __future__ import annotations

import logging
from pathlib import Path

from workdata.core.staged import FailedRecords
from workdata.core.storage.failure_csv import append_locked, locked, replace_locked
from workdata.core.storage.store import Store

log = logging.getLogger(__name__)


def write_failure_log(
    store: Store,
    domain: str,
    file_path: str,
    session_id: str,
    log_path: Path,
    records: FailedRecords | None = None,
) -> int:
    """Append one file's failed records to its session CSV exactly once (checked under the CSV lock).

    With `records` the caller has just committed them; without, this is recovery after a killed writer.
    The ledger flag is read under the lock even on the first path: a sensor's recovery may have got there
    between the commit and this call.
    """
    # One connection for the flag's read and write (each DuckDB open costs ~15-25 ms); the database is
    # taken after the CSV lock, never the other way round, so writers cannot wait on each other in a cycle.
    with locked(log_path), store.connect() as conn:
        state = store.get_state(domain, file_path, conn)
        if state is None or state["failure_log_written"] or state["session_id"] != session_id:
            return 0
        if records is not None:
            written = append_locked(log_path, records)
        else:
            # A killed writer may have appended some or all lines before dying: replace them.
            stored = store.failed_records(session_id=session_id, domain=domain, source_file=file_path)
            written = replace_locked(log_path, domain, file_path, FailedRecords.from_frame(stored))
        store.mark_log_written(domain, file_path, conn)
        return written


def recover_failure_logs(store: Store) -> int:
    """Append every committed-but-unlogged file's records to its CSV; returns the rows appended."""
    with store.connect() as conn:
        pending = conn.execute(
            "SELECT domain, file_path, session_id, failure_log_path FROM file_state "
            "WHERE NOT failure_log_written AND failure_log_path IS NOT NULL"
        ).fetchall()
    written = 0
    for domain, file_path, session_id, log_path in pending:
        try:
            written += write_failure_log(store, domain, file_path, session_id, Path(log_path))
        except OSError:
            # Its folder is still unwritable: the ledger keeps it pending for the next run or tick.
            log.warning("workdata: the failure log %s cannot be written yet", log_path, exc_info=True)
    return written
