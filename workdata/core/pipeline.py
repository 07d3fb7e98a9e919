"""The path of one file: claim, ledger check, stage (read, validate), decide, commit atomically, log."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from workdata.core.commits import DEFER_ROWS, GROUP_FILES, Validated, commit_file, commit_group, group_is_full
from workdata.core.domain import Domain
from workdata.core.engine.staging import stage
from workdata.core.errors import (
    DependencyOpenError,
    RunStoppedError,
    UnreadableFileError,
    UnsafePathError,
    VanishedFileError,
    WorkdataError,
)
from workdata.core.failure_handling import record_failure
from workdata.core.faults import checkpoint
from workdata.core.file_job import FileJob
from workdata.core.inbox.survey import file_sha256, resolve_in_inbox, unreadable_fingerprint
from workdata.core.ingest_context import Ingest, dependencies_of
from workdata.core.outcome import FileOutcome
from workdata.core.records import FileStatus, Stage
from workdata.core.skips import busy_elsewhere, skip_reason
from workdata.core.storage.claims import release
from workdata.core.verdict import OUTCOME_FIELDS, outcome_fields, outcome_line, row_outcome

log = logging.getLogger(__name__)
OUTCOME_LOGGER = "workdata.outcomes"
outcome_log = logging.getLogger(OUTCOME_LOGGER)


def process_file(domain: Domain, path: Path, file_key: str, ingest: Ingest) -> FileOutcome:
    """Process one file end to end; never raises for bad input, always leaves a ledger record."""
    return _finished(domain, _process(_job(domain, file_key, path, ingest), ingest), ingest)


def process_files(
    domain: Domain, keys: Iterable[str], inbox_dir: Path, ingest: Ingest
) -> Iterator[FileOutcome]:
    """A run's files of `domain` in `inbox_dir`, each processed as `process_file` does, each under a claim
    (a file another run holds is skipped); small files wait in a group whose commits share one
    connection, and their outcomes come when it commits."""
    for chunk in _chunks(keys, GROUP_FILES):
        if ingest.claims is None:
            held, busy = dict.fromkeys(chunk), []
        else:
            held, busy = ingest.claims.take(domain.name, chunk)
        try:
            for key in busy:
                yield _finished(domain, busy_elsewhere(domain, key, ingest), ingest)
            # Read after claiming: what another run committed before the claim is seen, never redone.
            ingest.states.update(ingest.store.get_states(domain.name, list(held)))
            yield from _process_claimed(domain, list(held), inbox_dir, ingest)
        finally:
            release(held)


def record_unreached(
    domain: Domain, keys: Iterable[str], inbox_dir: Path, ingest: Ingest, run_id: str
) -> list[FileOutcome]:
    """Files the finished run `run_id` was to ingest and never reached (its process died first) become
    FAILED and retryable, one attempt counted (a file that keeps killing its runs ends as a dead letter),
    so the retry sensor takes them again. A file another run holds, whose outcome the run itself recorded,
    whose current content the ledger has settled (loaded, skipped or failed for good), or that left the
    inbox is left alone."""
    recorded: list[FileOutcome] = []
    for chunk in _chunks(keys, GROUP_FILES):
        held, _ = ingest.claims.take(domain.name, chunk) if ingest.claims else (dict.fromkeys(chunk), [])
        try:
            states = ingest.store.get_states(domain.name, list(held))
            for key in held:
                path = inbox_dir / domain.name / key
                if not path.is_file():
                    continue
                job = _job(domain, key, path, ingest)
                try:
                    job = job.hashed(_content_hash(path), states.get(key))
                except UnreadableFileError as exc:  # recorded as a run would record it (auth)
                    job = job.hashed(exc.stand_in_hash, states.get(key))
                    recorded.append(record_failure(job, exc, Stage.HASH, ingest))
                    continue
                state = job.state or {}
                # A file the run reached has its outcome from the run itself: a run whose files failed
                # ends FAILURE too, and its honest (maybe retryable) failure must not become "stopped".
                if state.get("run_id") == run_id and state.get("status") not in (
                    FileStatus.IN_PROGRESS,
                    FileStatus.PENDING,
                ):
                    continue
                # Settled content stays as it is; a retryable failure the dead run was retrying counts
                # the attempt (else a file that kills every run it is in would be retried for ever).
                if state.get("file_hash") == job.file_hash and not state.get("retryable"):
                    if state.get("status") not in (FileStatus.IN_PROGRESS, FileStatus.PENDING):
                        continue
                stopped = RunStoppedError(detail=f"run {run_id} ended before it reached the file")
                recorded.append(record_failure(job, stopped, Stage.DISCOVER, ingest))
        finally:
            release(held)
    return recorded


def _chunks(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for key in keys:
        chunk.append(key)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _process_claimed(
    domain: Domain, keys: list[str], inbox_dir: Path, ingest: Ingest
) -> Iterator[FileOutcome]:
    group: list[Validated] = []
    for key in keys:
        try:
            path = resolve_in_inbox(inbox_dir, domain.name, key)
        except UnsafePathError as exc:
            job = _job(domain, key, inbox_dir / domain.name, ingest)
            yield _finished(domain, record_failure(job, exc, Stage.DISCOVER, ingest), ingest)
            continue
        result = _process(_job(domain, key, path, ingest), ingest, defer=True)
        if not isinstance(result, Validated):
            yield _finished(domain, result, ingest)
            continue
        group.append(result)
        if group_is_full(group):
            yield from (_finished(domain, outcome, ingest) for outcome in commit_group(group, ingest))
            group = []
    if group:
        yield from (_finished(domain, outcome, ingest) for outcome in commit_group(group, ingest))


def _job(domain: Domain, key: str, path: Path, ingest: Ingest) -> FileJob:
    return FileJob(domain, key, path, ingest.run, ingest.policy, ingest.reference_dir)


def _finished(domain: Domain, outcome: FileOutcome, ingest: Ingest) -> FileOutcome:
    _update_breakers(domain, outcome, ingest)
    # One plain line for people (the run's event log); its fields as JSON for logs/workdata.log.
    outcome_log.info(outcome_line(outcome), extra={OUTCOME_FIELDS: outcome_fields(outcome, ingest.run)})
    return outcome


def _process(job: FileJob, ingest: Ingest, defer: bool = False) -> FileOutcome | Validated:
    progress = [Stage.HASH]  # the stage a failure is recorded at
    try:
        job = job.hashed(_content_hash(job.path), _ledger_row(job, ingest))
        skipped = skip_reason(job, ingest)
        if skipped is not None:
            return skipped
        if _check_breakers(job.domain, ingest):
            # This file probes a dependency whose circuit was open: commit it now, so that its success
            # closes the circuit before the run's next file asks (they would wait another cool-down).
            defer = False
        progress.append(Stage.READ)
        with tempfile.TemporaryDirectory(prefix="workdata-stage-") as folder:
            staged = stage(job, Path(folder), progress.append)
            checkpoint("after_read", job.key)
            _warn_drift(job, staged.extras)
            outcome = row_outcome(job, staged, ingest)
            progress.append(Stage.LOAD)
            if defer and staged.in_memory and staged.rows_total <= DEFER_ROWS:
                return Validated(job, outcome, staged)
            # Committed inside the folder: a large file's staged Parquet files are read by the commit.
            return commit_file(job, outcome, staged, ingest)
    except WorkdataError as exc:
        log.warning("workdata: %s/%s failed at stage %s: %s", job.domain.name, job.key, progress[-1], exc)
        if exc.stand_in_hash:
            job = job.hashed(exc.stand_in_hash, job.state)
        return record_failure(job, exc, progress[-1], ingest)
    except FileNotFoundError as exc:
        if job.path.exists():  # something else was missing: an ordinary unexpected failure
            log.exception("workdata: %s/%s failed at stage %s", job.domain.name, job.key, progress[-1])
            return record_failure(job, exc, progress[-1], ingest)
        log.warning("workdata: %s/%s vanished at stage %s", job.domain.name, job.key, progress[-1])
        # No content hash: whatever comes back under this name is new, not "already failed".
        vanished = VanishedFileError(detail=str(exc))
        return record_failure(job.hashed(None, job.state), vanished, progress[-1], ingest)
    except Exception as exc:
        log.exception("workdata: %s/%s failed at stage %s", job.domain.name, job.key, progress[-1])
        return record_failure(job, exc, progress[-1], ingest)


def _ledger_row(job: FileJob, ingest: Ingest) -> dict | None:
    # Fetched for the whole chunk after claiming (process_files); read here for a file processed alone.
    if job.key in ingest.states:
        return ingest.states.pop(job.key)
    return ingest.store.get_state(job.domain.name, job.key)


def _content_hash(path: Path) -> str:
    """The file's sha256; UnreadableFileError (with the stand-in hash the planner used) when it may not
    be read, so the ledger row matches the inbox and the file is not planned again until it changes."""
    try:
        return file_sha256(path)
    except PermissionError as exc:
        raise UnreadableFileError(unreadable_fingerprint(path), detail=str(exc)) from exc


def _warn_drift(job: FileJob, extras: tuple[str, ...]) -> None:
    if extras:
        log.warning(
            "workdata: %s/%s has unknown columns (schema drift, kept in raw data): %s",
            job.domain.name,
            job.key,
            ", ".join(extras),
        )


def _check_breakers(domain: Domain, ingest: Ingest) -> bool:
    """Raise DependencyOpenError when a dependency's circuit holds this file; True when it is a probe."""
    if ingest.breakers is None:
        return False
    probes: set[str] = set()
    blocked = ingest.breakers.first_blocked(
        dependencies_of(domain), probes=probes, force_probe=ingest.retrying
    )
    if blocked is not None:
        raise DependencyOpenError(*blocked)
    return bool(probes)


def _update_breakers(domain: Domain, outcome: FileOutcome, ingest: Ingest) -> None:
    if ingest.breakers is None or outcome.status is FileStatus.SKIPPED:
        return
    if outcome.dependency is not None:
        if outcome.stage is not Stage.DISCOVER:  # DependencyOpenError: not attempted, nothing learned
            ingest.breakers.record(outcome.dependency, ok=False)
        return
    ingest.breakers.record_success(dependencies_of(domain))
