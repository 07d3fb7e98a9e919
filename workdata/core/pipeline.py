"""The path of one file: ledger check, read, validate, commit atomically, log, report."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from workdata.core.claims import release
from workdata.core.commits import (
    DEFER_ROWS,
    GROUP_FILES,
    Validated,
    commit_file,
    commit_group,
    group_is_full,
)
from workdata.core.domain import Domain
from workdata.core.errors import (
    DependencyOpenError,
    UnreadableFileError,
    UnsafePathError,
    VanishedFileError,
    WorkdataError,
)
from workdata.core.failure_handling import record_failure
from workdata.core.faults import checkpoint
from workdata.core.headers import alias_map
from workdata.core.inbox import file_sha256, resolve_in_inbox, unreadable_fingerprint
from workdata.core.ingest_context import Ingest, dependencies_of
from workdata.core.outcome import FileOutcome
from workdata.core.policy import DomainPolicy
from workdata.core.readers import ReadOptions, read_raw
from workdata.core.readers_stream import streamable
from workdata.core.record_spill import SpilledRecords
from workdata.core.records import FileStatus, Stage
from workdata.core.row_outcome import OUTCOME_FIELDS, outcome_fields, outcome_line, row_outcome
from workdata.core.skips import busy_elsewhere, skip_reason
from workdata.core.staging import check_block, stage_csv
from workdata.core.store import StagedRows

log = logging.getLogger(__name__)
OUTCOME_LOGGER = "workdata.outcomes"
outcome_log = logging.getLogger(OUTCOME_LOGGER)


def process_file(domain: Domain, path: Path, file_key: str, ingest: Ingest) -> FileOutcome:
    """Process one file end to end; never raises for bad input, always leaves a ledger record."""
    return _finished(domain, _process(domain, path, file_key, ingest), ingest)


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
            result = _process(domain, resolve_in_inbox(inbox_dir, domain.name, key), key, ingest, defer=True)
        except UnsafePathError as exc:
            result = record_failure(
                domain, key, inbox_dir / domain.name, None, None, exc, Stage.DISCOVER, ingest
            )
        if not isinstance(result, Validated):
            yield _finished(domain, result, ingest)
            continue
        group.append(result)
        if group_is_full(group):
            yield from (_finished(domain, outcome, ingest) for outcome in commit_group(group, ingest))
            group = []
    if group:
        yield from (_finished(domain, outcome, ingest) for outcome in commit_group(group, ingest))


def _finished(domain: Domain, outcome: FileOutcome, ingest: Ingest) -> FileOutcome:
    _update_breakers(domain, outcome, ingest)
    # One plain line for people (the run's event log); its fields as JSON for logs/workdata.log.
    outcome_log.info(outcome_line(outcome), extra={OUTCOME_FIELDS: outcome_fields(outcome, ingest.run)})
    return outcome


def _process(
    domain: Domain, path: Path, file_key: str, ingest: Ingest, defer: bool = False
) -> FileOutcome | Validated:
    stage, file_hash, state = Stage.HASH, None, None
    store, run = ingest.store, ingest.run
    try:
        file_hash = _content_hash(path)
        state = (
            ingest.states.pop(file_key)
            if file_key in ingest.states
            else store.get_state(domain.name, file_key)
        )
        skipped = skip_reason(domain, file_key, file_hash, state, ingest)
        if skipped is not None:
            return skipped
        if _check_breakers(domain, ingest):
            # This file probes a dependency whose circuit was open: commit it now, so that its success
            # closes the circuit before the run's next file asks (they would wait another cool-down).
            defer = False
        stage = Stage.READ
        options = read_options(domain, ingest.policy)
        if streamable(path, options):
            with tempfile.TemporaryDirectory(prefix="workdata-stage-") as folder:
                stage = Stage.VALIDATE  # a large file's blocks are read and validated in turn
                outcome, rows, records = _stage(domain, path, file_key, file_hash, ingest, options, folder)
                stage = Stage.LOAD
                return commit_file(domain, file_key, outcome, rows, records, ingest)
        raw = read_raw(path, options)
        checkpoint("after_read", file_key)
        stage = Stage.VALIDATE
        result, records, extras = check_block(domain, raw, file_key, file_hash, run, ingest.reference_dir)
        _warn_drift(domain, file_key, extras)
        outcome = row_outcome(domain, file_key, file_hash, raw.rows_total, len(result.good), records, ingest)
        outcome = replace(outcome, extra_columns=tuple(extras), sheet=raw.sheet)
        stage = Stage.LOAD
        if defer and raw.rows_total <= DEFER_ROWS:
            return Validated(domain, file_key, path, state, outcome, result.good, records)
        return commit_file(domain, file_key, outcome, result.good, records, ingest)
    except WorkdataError as exc:
        log.warning("workdata: %s/%s failed at stage %s: %s", domain.name, file_key, stage, exc)
        file_hash = exc.stand_in_hash or file_hash
        return record_failure(domain, file_key, path, file_hash, state, exc, stage, ingest)
    except FileNotFoundError as exc:
        if path.exists():  # something else was missing: an ordinary unexpected failure
            log.exception("workdata: %s/%s failed at stage %s", domain.name, file_key, stage)
            return record_failure(domain, file_key, path, file_hash, state, exc, stage, ingest)
        log.warning("workdata: %s/%s vanished at stage %s", domain.name, file_key, stage)
        # No content hash: whatever comes back under this name is new, not "already failed".
        vanished = VanishedFileError(detail=str(exc))
        return record_failure(domain, file_key, path, None, state, vanished, stage, ingest)
    except Exception as exc:
        log.exception("workdata: %s/%s failed at stage %s", domain.name, file_key, stage)
        return record_failure(domain, file_key, path, file_hash, state, exc, stage, ingest)


def _content_hash(path: Path) -> str:
    """The file's sha256; UnreadableFileError (with the stand-in hash the planner used) when it may not
    be read, so the ledger row matches the inbox and the file is not planned again until it changes."""
    try:
        return file_sha256(path)
    except PermissionError as exc:
        raise UnreadableFileError(unreadable_fingerprint(path), detail=str(exc)) from exc


def _stage(
    domain: Domain, path: Path, key: str, file_hash: str, ingest: Ingest, options: ReadOptions, folder: str
) -> tuple[FileOutcome, StagedRows | None, SpilledRecords]:
    # Read, validate and stage block by block: memory is bounded by a block, not by the file.
    staged = stage_csv(domain, path, key, file_hash, ingest.run, ingest.reference_dir, options, Path(folder))
    checkpoint("after_read", key)
    _warn_drift(domain, key, staged.extras)
    outcome = row_outcome(
        domain, key, file_hash, staged.rows_total, staged.rows_loaded, staged.records, ingest
    )
    return replace(outcome, extra_columns=tuple(staged.extras)), staged.rows, staged.records


def _warn_drift(domain: Domain, file_key: str, extras: list[str]) -> None:
    if extras:
        log.warning(
            "workdata: %s/%s has unknown columns (schema drift, kept in raw data): %s",
            domain.name,
            file_key,
            ", ".join(extras),
        )


def read_options(domain: Domain, policy: DomainPolicy) -> ReadOptions:
    """How to read this domain's files, from its policy and its known headers."""
    return ReadOptions(
        max_bytes=policy.max_decompressed_mb * 2**20,
        sheet_pattern=policy.sheet_pattern,
        sheet_index=policy.sheet_index,
        header_row=policy.header_row,
        header_names=frozenset(alias_map(domain)),
        stream_over_bytes=int(policy.stream_over_mb * 2**20),
        block_bytes=max(1024, int(policy.stream_block_mb * 2**20)),
        batch_rows=policy.stream_batch_rows,
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
