"""The engine's one entry, `stage(job) -> Staged`, for every file whatever its size or format: a small
file read whole and checked as one block, a large CSV block by block, its good rows and failed records
spilled to Parquet as its blocks go by (memory bounded by a block, not the file)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.arrow import ROW_GROUP_BYTES, spill_write, spill_writer
from workdata.core.domain import Domain
from workdata.core.engine.read.csv_files import MAX_LINE_BYTES
from workdata.core.engine.read.csv_stream import expanded_size, iter_csv_chunks, streamable
from workdata.core.engine.read.dropped_rows import drop_rows
from workdata.core.engine.read.files import read_raw
from workdata.core.engine.read.headers import alias_map, apply_aliases
from workdata.core.engine.read.prefetch import prefetched
from workdata.core.engine.read.raw_table import RawTable, ReadOptions
from workdata.core.engine.stage.failed_records import build_failed_records
from workdata.core.engine.stage.repeated_keys import RepeatedKeys
from workdata.core.engine.validate.key_tracker import KeyTracker
from workdata.core.engine.validate.validator import ValidationResult, validate
from workdata.core.errors import LineTooLongError, ReferenceUnavailableError
from workdata.core.file_job import FileJob
from workdata.core.lineage import LINEAGE_COLUMNS, LINEAGE_TEXT, with_lineage
from workdata.core.records import Stage
from workdata.core.staged import FailedRecords, GoodRows, Staged
from workdata.core.transient import retrying


def stage(job: FileJob, folder: Path, reached: Callable[[Stage], None] = lambda stage: None) -> Staged:
    """The file of `job` read, validated and staged: a large CSV block by block, its rows and records
    spilled to Parquet in `folder` (memory bounded by a block), any other file whole and in memory.
    `reached` is told when reading is done and validation begins (the stage a failure is recorded at)."""
    options = read_options(job)
    if streamable(job.path, options):
        reached(Stage.VALIDATE)  # a large file's blocks are read and validated in turn
        return stage_csv(job, options, folder)
    raw = read_raw(job.path, options)
    reached(Stage.VALIDATE)
    result, records, extras, raw = check_block(job, raw)
    rows = with_lineage(result.good, job.key, job.file_hash, job.run.run_id, raw.sheets)
    return Staged(
        GoodRows.in_memory(rows),
        FailedRecords.in_memory(records),
        raw.rows_total,
        raw.rows_dropped,
        tuple(extras),
        raw.sheets,
        raw.skipped_sheets,
        raw.encoding,
    )


def read_options(job: FileJob) -> ReadOptions:
    """How to read the job's file, from its domain's reader settings and known and required headers."""
    required = frozenset(job.domain.required_columns)
    return ReadOptions.from_settings(job.policy.read, alias_map(job.domain), required)


log = logging.getLogger(__name__)

_ARROW_TYPES = {
    "VARCHAR": pa.large_string(),  # as pandas holds text: staged without copying it
    "BIGINT": pa.int64(),
    "DOUBLE PRECISION": pa.float64(),
    "DATE": pa.timestamp("ns"),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}


def stage_csv(job: FileJob, options: ReadOptions, folder: Path) -> Staged:
    """A large CSV staged block by block (read ahead on a helper thread), whatever its longest row."""

    expected_rows = expanded_size(job.path) // 100  # sizes the key filter; a wrong guess only costs time

    def staged(read: ReadOptions) -> Staged:
        with closing(prefetched(iter_csv_chunks(job.path, read))) as blocks:
            staged_file = stage_blocks(job, blocks, folder, expected_rows)
        # Arrow's allocator keeps the blocks' freed buffers for reuse, but the commit allocates in the
        # database, not in Arrow: handed back now, they no longer add to the commit's peak (~100 MB).
        pa.default_memory_pool().release_unused()
        return staged_file

    try:
        return staged(options)
    except LineTooLongError as exc:
        if exc.block_bytes >= MAX_LINE_BYTES:
            raise
        # Small blocks keep memory low; a row longer than one is rare: read the file again in the
        # largest blocks (its rows.parquet is written anew) rather than refuse it.
        log.info("workdata: %s has a row over %d bytes; reading it again", job.key, exc.block_bytes)
        return staged(replace(options, block_bytes=MAX_LINE_BYTES))


def stage_blocks(
    job: FileJob, blocks: Iterable[RawTable], folder: Path, expected_rows: int = 1 << 20
) -> Staged:
    """Validate every block; good rows (with lineage) and failed records go to Parquet files in `folder`."""
    tracker = KeyTracker(folder, max(expected_rows, 1024))
    keys = RepeatedKeys(job, tracker, folder)
    records, extras, encoding = FailedRecords(spill_to=folder / "records.parquet"), [], None
    total = loaded = dropped = 0
    writer: pq.ParquetWriter | None = None
    schema = _schema(job.domain)
    # Parquet encoding runs without the GIL: one block is written while the next is validated.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="workdata-stage") as background,
        closing(keys),
        closing(records),  # the Parquet files are finished, or closed on error, before anything reads them
    ):
        written: Future | None = None
        try:
            for raw in blocks:
                result, block_records, extras, raw = check_block(job, raw, hash_keys=True)
                keys.check(raw, result)
                encoding = encoding or raw.encoding
                records.add(block_records)
                total, loaded = total + raw.rows_total, loaded + len(result.good)
                dropped += raw.rows_dropped
                if len(result.good):
                    rows = with_lineage(result.good, job.key, job.file_hash, job.run.run_id)
                    rows = rows.select(schema.names).cast(schema)
                    writer = writer or spill_writer(folder / "rows.parquet", schema, _text_columns(schema))
                    if written is not None:
                        written.result()  # one write at a time, in order; its error surfaces here
                    written = background.submit(spill_write, writer, rows, ROW_GROUP_BYTES)
                # Not kept alive while the next block is validated: memory holds one block's work.
                del raw, result, block_records
            if written is not None:
                written.result()
        finally:
            if written is not None:
                wait([written])
            if writer is not None:
                writer.close()
        repeats, skip = keys.repeats()
    with closing(records):
        for part in repeats:  # a part at a time: a file of repeated keys is not held in memory
            records.add(part, late=True)
    good = GoodRows.staged(folder / "rows.parquet", skip, loaded - len(skip)) if writer else GoodRows()
    return Staged(good, records, total, dropped, tuple(extras), encoding=encoding)


def check_block(
    job: FileJob, raw: RawTable, hash_keys: bool = False
) -> tuple[ValidationResult, pa.Table, list[str], RawTable]:
    """One block (or a whole small file): rows without data dropped, canonical headers, validation
    (references retried), failed records; returns the validation result, the records, the unknown extra
    columns and the block as validated (its dropped rows set aside)."""
    raw = drop_rows(raw, job.policy.read.total_markers)
    raw.frame, extras = apply_aliases(job.domain, raw.frame)
    result = retrying(lambda e: isinstance(e, ReferenceUnavailableError))(
        validate, job.domain, raw.frame, job.reference_dir, hash_keys
    )
    records = build_failed_records(
        job.domain.name, job.key, job.file_hash, raw, result.failure_table, job.run
    )
    return result, records, extras, raw


def _text_columns(schema: pa.Schema) -> list[str]:
    return [f.name for f in schema if pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type)]


def _schema(domain: Domain) -> pa.Schema:
    columns = [("_row_index", "BIGINT"), *domain.warehouse_columns, *LINEAGE_COLUMNS]
    # Lineage text stays dictionary-encoded in the staged file: the database reads it as text.
    lineage_text = {name for name, sql in LINEAGE_COLUMNS if sql == "VARCHAR"}
    return pa.schema(
        [(n, LINEAGE_TEXT if n in lineage_text else _ARROW_TYPES[sql]) for n, sql in dict(columns).items()]
    )
