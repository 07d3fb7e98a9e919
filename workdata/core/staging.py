"""A large file block by block: each block validated, its good rows staged in a Parquet file on disk and
its failed records kept; the store then commits the staged rows in one transaction, as for a small file."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.backoff import call_with_retry
from workdata.core.domain import Domain
from workdata.core.errors import LineTooLongError, ReferenceUnavailableError
from workdata.core.failed_records import build_failed_records
from workdata.core.headers import apply_aliases
from workdata.core.key_tracker import KeyTracker
from workdata.core.outcome import RunContext
from workdata.core.prefetch import prefetched
from workdata.core.readers import RawTable, ReadOptions
from workdata.core.readers_csv import MAX_LINE_BYTES
from workdata.core.readers_stream import iter_csv_chunks
from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.store import with_lineage
from workdata.core.store_schema import LINEAGE_COLUMNS
from workdata.core.validation import ValidationResult, validate

log = logging.getLogger(__name__)

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE PRECISION": pa.float64(),
    "DATE": pa.timestamp("ns"),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}


@dataclass
class StagedFile:
    """What the blocks of one file added up to: staged good rows, failed records and counts."""

    rows: Path | None
    records: pd.DataFrame
    rows_total: int
    rows_loaded: int
    extras: list[str]


def stage_csv(
    domain: Domain,
    path: Path,
    file_key: str,
    file_hash: str,
    run: RunContext,
    reference_dir: Path | None,
    options: ReadOptions,
    folder: Path,
) -> StagedFile:
    """A large CSV staged block by block (read ahead on a helper thread), whatever its longest row."""

    def staged(read: ReadOptions) -> StagedFile:
        with closing(prefetched(iter_csv_chunks(path, read))) as blocks:
            return stage_blocks(domain, blocks, file_key, file_hash, run, reference_dir, folder)

    try:
        return staged(options)
    except LineTooLongError as exc:
        if exc.block_bytes >= MAX_LINE_BYTES:
            raise
        # Small blocks keep memory low; a row longer than one is rare: read the file again in the
        # largest blocks (its rows.parquet is written anew) rather than refuse it.
        log.info("workdata: %s has a row over %d bytes; reading it again", file_key, exc.block_bytes)
        return staged(replace(options, block_bytes=MAX_LINE_BYTES))


def stage_blocks(
    domain: Domain,
    blocks: Iterable[RawTable],
    file_key: str,
    file_hash: str,
    run: RunContext,
    reference_dir: Path | None,
    folder: Path,
) -> StagedFile:
    """Validate every block; good rows (with lineage) go to `folder`/rows.parquet, failures stay in memory."""
    seen, records, extras = KeyTracker(), [], []
    total = loaded = 0
    writer: pq.ParquetWriter | None = None
    schema = _schema(domain)
    # Parquet encoding runs without the GIL: one block is written while the next is validated.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="workdata-stage") as background:
        written: Future | None = None
        try:
            for raw in blocks:
                result, block_records, extras = check_block(
                    domain, raw, file_key, file_hash, run, reference_dir, seen
                )
                records.append(block_records)
                total, loaded = total + raw.rows_total, loaded + len(result.good)
                if len(result.good):
                    rows = with_lineage(result.good, file_key, file_hash, run.run_id, raw.sheet)
                    rows = rows.select(schema.names).cast(schema)
                    # lz4: the spill file lives seconds; compressing it harder costs more than it saves.
                    writer = writer or pq.ParquetWriter(folder / "rows.parquet", schema, compression="lz4")
                    if written is not None:
                        written.result()  # one write at a time, in order; its error surfaces here
                    written = background.submit(writer.write_table, rows)
            if written is not None:
                written.result()
        finally:
            if written is not None:
                wait([written])
            if writer is not None:
                writer.close()
    merged = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=FAILED_RECORD_COLUMNS)
    merged = merged.sort_values(["row_index", "error_type", "column"], kind="stable").reset_index(drop=True)
    return StagedFile(folder / "rows.parquet" if writer else None, merged, total, loaded, extras)


def check_block(
    domain: Domain,
    raw: RawTable,
    file_key: str,
    file_hash: str,
    run: RunContext,
    reference_dir: Path | None,
    seen: KeyTracker | None = None,
) -> tuple[ValidationResult, pd.DataFrame, list[str]]:
    """One block (or a whole small file): canonical headers, validation (references retried), failed
    records; returns the validation result, the records and the unknown extra columns."""
    raw.frame, extras = apply_aliases(domain, raw.frame)
    result = call_with_retry(
        lambda: validate(domain, raw.frame, reference_dir, seen),
        lambda e: isinstance(e, ReferenceUnavailableError),
    )
    records = build_failed_records(domain.name, file_key, file_hash, raw, result.failures, run)
    return result, records, extras


def _schema(domain: Domain) -> pa.Schema:
    columns = [("_row_index", "BIGINT"), *domain.warehouse_columns, *LINEAGE_COLUMNS]
    return pa.schema([(name, _ARROW_TYPES[sql]) for name, sql in dict(columns).items()])
