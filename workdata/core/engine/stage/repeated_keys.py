"""Business keys repeated across the blocks of one file: found as the file is read, confirmed at its end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.arrow import spill_batches, spill_write, spill_writer
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable
from workdata.core.engine.stage.failed_records import build_failed_records
from workdata.core.engine.validate.key_tracker import KeyTracker
from workdata.core.engine.validate.validator import ValidationResult, duplicate_key_failures
from workdata.core.file_job import FileJob

_RECORD_ROWS = 20_000  # confirmed repeats whose records are built at a time


class RepeatedKeys:
    """Business keys repeated across blocks: candidates' raw rows kept on disk until the file ends."""

    def __init__(self, job: FileJob, tracker: KeyTracker, folder: Path):
        self.job = job
        self.tracker, self.path = tracker, folder / "key_candidates.parquet"
        self.rows, self.hashes, self.staged = [], [], []
        self._writer: pq.ParquetWriter | None = None

    def check(self, raw: RawTable, result: ValidationResult) -> None:
        """Remember this block's keys; keep the raw row of each row that may repeat one (a few in 1,000)."""
        keys = result.keys
        if keys is None:
            return
        maybe = self.tracker.add(keys.rows, keys.hashes) & ~keys.repeated  # repeats within: already failed
        if not maybe.any():
            return
        rows = keys.rows[maybe]
        self.rows.append(rows)
        self.hashes.append(keys.hashes[maybe])
        self.staged.append(np.isin(rows, result.good.index.to_numpy()))
        # Keys are in the block's row order, so the kept raw rows follow `self.rows` one for one.
        kept = pa.Table.from_pandas(raw.frame.iloc[np.flatnonzero(maybe)], preserve_index=False)
        self._writer = self._writer or spill_writer(self.path, kept.schema, [])
        spill_write(self._writer, kept.cast(self._writer.schema))

    def repeats(self) -> tuple[Iterator[pa.Table], np.ndarray]:
        """The records of candidates whose key an earlier row had (in row order, a part at a time), and
        those of them staged as good rows."""
        if not self.rows:
            return iter(()), np.zeros(0, dtype=np.int64)
        rows = np.concatenate(self.rows)
        repeated = self.tracker.repeats(rows, np.concatenate(self.hashes))
        return self._records(rows, repeated), rows[repeated & np.concatenate(self.staged)]

    def _records(self, rows: np.ndarray, repeated: np.ndarray) -> Iterator[pa.Table]:
        self._writer.close()
        start = 0
        for batch in spill_batches(self.path, _RECORD_ROWS):
            chosen = repeated[start : start + batch.num_rows]
            numbers = rows[start : start + batch.num_rows][chosen]
            start += batch.num_rows
            if not len(numbers):
                continue
            frame = pa.Table.from_batches([batch]).filter(pa.array(chosen)).to_pandas()
            frame.index = pd.Index(numbers, name=ROW_INDEX)
            failures = duplicate_key_failures(self.job.domain, frame.index)
            raw = RawTable(frame=frame)
            yield build_failed_records(
                self.job.domain.name, self.job.key, self.job.file_hash, raw, failures, self.job.run
            )

    def close(self) -> None:
        """Close the tracker's hash file and the candidates' file (the caller's folder is removed with
        them)."""
        self.tracker.close()
        if self._writer is not None:
            self._writer.close()
