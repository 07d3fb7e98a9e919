"""The engine's one entry: `stage(job) -> Staged` for every file, whatever its size or format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workdata.core.engine.read.csv_stream import streamable
from workdata.core.engine.read.files import read_raw
from workdata.core.engine.read.headers import alias_map
from workdata.core.engine.read.raw_table import ReadOptions
from workdata.core.engine.stage.blocks import check_block, stage_csv
from workdata.core.file_job import FileJob
from workdata.core.lineage import with_lineage
from workdata.core.records import Stage
from workdata.core.staged import FailedRecords, GoodRows, Staged


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
    result, records, extras = check_block(job, raw)
    rows = with_lineage(result.good, job.key, job.file_hash, job.run.run_id, raw.sheet)
    return Staged(
        GoodRows.in_memory(rows), FailedRecords.in_memory(records), raw.rows_total, tuple(extras), raw.sheet
    )


def read_options(job: FileJob) -> ReadOptions:
    """How to read the job's file, from its domain's reader settings and known headers."""
    return ReadOptions.from_settings(job.policy.read, frozenset(alias_map(job.domain)))
