"""Committing validated files: each in its own transaction, small ones in a group over one connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from workdata.core.backoff import call_with_retry
from workdata.core.cross_file_keys import KeyRule
from workdata.core.domain import Domain
from workdata.core.errors import WorkdataError, classify
from workdata.core.failure_handling import record_failure
from workdata.core.faults import checkpoint
from workdata.core.ingest_context import Ingest
from workdata.core.log_recovery import write_failure_log
from workdata.core.outcome import FileOutcome
from workdata.core.record_spill import SpilledRecords
from workdata.core.records import Stage

log = logging.getLogger(__name__)

# A small file's commit costs less than opening and closing DuckDB (a checkpoint on every close): files up
# to DEFER_ROWS rows wait in a group of at most GROUP_FILES files and GROUP_ROWS rows held in memory.
DEFER_ROWS = 10_000
GROUP_FILES = 64
GROUP_ROWS = 100_000


@dataclass(frozen=True)
class Validated:
    """A small file read and validated, waiting for its commit."""

    domain: Domain
    file_key: str
    path: Path
    state: dict | None
    outcome: FileOutcome
    good: pd.DataFrame
    records: pa.Table


def group_is_full(group: list[Validated]) -> bool:
    """True when `group` holds as many files or rows as a group may."""
    return len(group) >= GROUP_FILES or sum(v.outcome.rows_total for v in group) >= GROUP_ROWS


def commit_file(
    domain: Domain,
    file_key: str,
    outcome: FileOutcome,
    good,
    records: pa.Table | SpilledRecords,
    ingest: Ingest,
) -> FileOutcome:
    """Commit the file's rows (a frame or a staged Parquet file) and failures, then write its CSV."""
    good = good if outcome.rows_loaded else None
    committed = call_with_retry(
        lambda: ingest.store.commit_file(outcome, ingest.run, good, records, keys=key_rule(domain, ingest)),
        lambda e: classify(e).dependency == "warehouse",
    )
    checkpoint("after_commit", file_key)
    return log_failures(domain, file_key, committed, _logged(outcome, committed, records), ingest)


def key_rule(domain: Domain, ingest: Ingest) -> KeyRule:
    """The domain's business key and key policy, as a commit settles them across files."""
    columns = tuple(name for name, _ in domain.warehouse_columns)
    return KeyRule(tuple(domain.business_key), columns, ingest.policy, str(ingest.log_path))


def _logged(validated: FileOutcome, committed: FileOutcome, records):
    # The commit may have added records of its own (keys loaded from other files): the CSV then takes the
    # file's records from the store, which holds them all (None), else the ones validation made.
    return None if committed.rows_failed > validated.rows_failed else records


def commit_group(group: list[Validated], ingest: Ingest) -> list[FileOutcome]:
    """Commit each file of `group` in its own transaction, all over one connection; from the first that
    fails there on, files are committed alone, with the retries and failure handling any file gets."""
    committed: list[tuple[Validated, FileOutcome]] = []
    try:
        with ingest.store.connect() as conn:
            for item in group:
                good = item.good if item.outcome.rows_loaded else None
                rule = key_rule(item.domain, ingest)
                outcome = ingest.store.commit_file(
                    item.outcome, ingest.run, good, item.records, conn=conn, keys=rule
                )
                checkpoint("after_commit", item.file_key)
                committed.append((item, outcome))
    except Exception:
        log.warning("workdata: a grouped commit failed; its files are committed one by one", exc_info=True)
    # Failure logs after the connection is closed: the CSV lock is never taken while holding the database.
    logged = [
        log_failures(v.domain, v.file_key, outcome, _logged(v.outcome, outcome, v.records), ingest)
        for v, outcome in committed
    ]
    return logged + [_commit_alone(v, ingest) for v in group[len(committed) :]]


def _commit_alone(item: Validated, ingest: Ingest) -> FileOutcome:
    domain, key = item.domain, item.file_key
    try:
        return commit_file(domain, key, item.outcome, item.good, item.records, ingest)
    except WorkdataError as exc:
        log.warning("workdata: %s/%s failed at stage %s: %s", domain.name, key, Stage.LOAD, exc)
        failed = exc
    except Exception as exc:
        log.exception("workdata: %s/%s failed at stage %s", domain.name, key, Stage.LOAD)
        failed = exc
    return record_failure(
        domain, key, item.path, item.outcome.file_hash, item.state, failed, Stage.LOAD, ingest
    )


def log_failures(domain: Domain, file_key: str, outcome: FileOutcome, records, ingest: Ingest) -> FileOutcome:
    """Append a committed file's failed records to the session CSV; a problem there never fails the file."""
    # The ledger keeps failure_log_written = FALSE and the next run or sensor tick writes the CSV once the
    # fault is fixed.
    nothing = not outcome.rows_failed if records is None else not len(records)
    if nothing:
        return outcome
    try:
        write_failure_log(
            ingest.store, domain.name, file_key, ingest.run.session_id, ingest.log_path, records
        )
    except Exception as exc:
        log.exception(
            "workdata: %s/%s loaded, but its failure log could not be written", domain.name, file_key
        )
        note = classify(exc, Stage.LOG).user_message
        return replace(outcome, user_message=f"Loaded; the failure log is not written yet ({note})")
    return outcome
