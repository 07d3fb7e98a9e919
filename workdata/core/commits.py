"""Committing staged files: each in its own transaction, small ones in a group over one connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from workdata.core.domain import Domain
from workdata.core.errors import WorkdataError, classify
from workdata.core.failure_handling import record_failure
from workdata.core.faults import checkpoint
from workdata.core.file_job import FileJob
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import FileOutcome
from workdata.core.records import Stage
from workdata.core.staged import FailedRecords, Staged
from workdata.core.storage.cross_file_keys import KeyRule
from workdata.core.storage.failure_csv_repair import write_failure_log
from workdata.core.transient import retrying

log = logging.getLogger(__name__)

# A small file's commit costs less than opening and closing DuckDB (a checkpoint on every close): files up
# to DEFER_ROWS rows wait in a group of at most GROUP_FILES files and GROUP_ROWS rows held in memory.
DEFER_ROWS = 10_000
GROUP_FILES = 64
GROUP_ROWS = 100_000


@dataclass(frozen=True)
class Validated:
    """A small file staged in memory, waiting for its commit."""

    job: FileJob
    outcome: FileOutcome
    staged: Staged


def group_is_full(group: list[Validated]) -> bool:
    """True when `group` holds as many files or rows as a group may."""
    return len(group) >= GROUP_FILES or sum(v.outcome.rows_total for v in group) >= GROUP_ROWS


def commit_file(job: FileJob, outcome: FileOutcome, staged: Staged, ingest: Ingest) -> FileOutcome:
    """Commit the file's rows and failed records in one transaction, then write its failure CSV."""
    good = staged.good if outcome.rows_loaded else None
    committed = retrying(lambda e: classify(e).dependency == "warehouse")(
        ingest.store.commit_file, outcome, ingest.run, good, staged.records, keys=key_rule(job.domain, ingest)
    )
    checkpoint("after_commit", job.key)
    return log_failures(job, committed, _logged(outcome, committed, staged.records), ingest)


def key_rule(domain: Domain, ingest: Ingest) -> KeyRule:
    """The domain's business key and key policy, as a commit settles them across files."""
    columns = tuple(name for name, _ in domain.warehouse_columns)
    return KeyRule(tuple(domain.business_key), columns, ingest.policy, str(ingest.log_path))


def _logged(validated: FileOutcome, committed: FileOutcome, records: FailedRecords) -> FailedRecords | None:
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
                good = item.staged.good if item.outcome.rows_loaded else None
                rule = key_rule(item.job.domain, ingest)
                outcome = ingest.store.commit_file(
                    item.outcome, ingest.run, good, item.staged.records, conn=conn, keys=rule
                )
                checkpoint("after_commit", item.job.key)
                committed.append((item, outcome))
    except Exception:
        log.warning("workdata: a grouped commit failed; its files are committed one by one", exc_info=True)
    # Failure logs after the connection is closed: the CSV lock is never taken while holding the database.
    logged = [
        log_failures(v.job, outcome, _logged(v.outcome, outcome, v.staged.records), ingest)
        for v, outcome in committed
    ]
    return logged + [_commit_alone(v, ingest) for v in group[len(committed) :]]


def _commit_alone(item: Validated, ingest: Ingest) -> FileOutcome:
    job = item.job
    try:
        return commit_file(job, item.outcome, item.staged, ingest)
    except WorkdataError as exc:
        log.warning("workdata: %s/%s failed at stage %s: %s", job.domain.name, job.key, Stage.LOAD, exc)
        failed: Exception = exc
    except Exception as exc:
        log.exception("workdata: %s/%s failed at stage %s", job.domain.name, job.key, Stage.LOAD)
        failed = exc
    return record_failure(job, failed, Stage.LOAD, ingest)


def log_failures(
    job: FileJob, outcome: FileOutcome, records: FailedRecords | None, ingest: Ingest
) -> FileOutcome:
    """Append a committed file's failed records to the session CSV; a problem there never fails the file."""
    # The ledger keeps failure_log_written = FALSE and the next run or sensor tick writes the CSV once the
    # fault is fixed.
    nothing = not (outcome.rows_failed or outcome.rows_dropped) if records is None else not len(records)
    if nothing:
        return outcome
    try:
        write_failure_log(
            ingest.store, job.domain.name, job.key, ingest.run.session_id, ingest.log_path, records
        )
    except Exception as exc:
        log.exception(
            "workdata: %s/%s loaded, but its failure log could not be written", job.domain.name, job.key
        )
        note = classify(exc, Stage.LOG).user_message
        return replace(outcome, user_message=f"Loaded; the failure log is not written yet ({note})")
    return outcome
