"""Business keys repeated across the blocks of one file: found as the file is read, confirmed at its end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from workdata.core.domain import Domain
from workdata.core.failed_records import NO_RECORDS, build_failed_records
from workdata.core.key_tracker import KeyTracker
from workdata.core.outcome import RunContext
from workdata.core.readers import RawTable
from workdata.core.validation import ValidationResult, duplicate_key_failures


class RepeatedKeys:
    """Business keys repeated across blocks: candidates kept (with their raw rows) until the file ends."""

    def __init__(self, domain: Domain, file_key: str, file_hash: str, run: RunContext, tracker: KeyTracker):
        self.domain, self.file_key, self.file_hash, self.run = domain, file_key, file_hash, run
        self.tracker = tracker
        self.rows, self.hashes, self.staged, self.raw = [], [], [], []
        self.sheet: str | None = None

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
        self.raw.append(raw.frame.iloc[np.flatnonzero(maybe)])  # keys are in the block's row order
        self.sheet = raw.sheet

    def repeats(self) -> tuple[pa.Table, np.ndarray]:
        """The records of candidates whose key an earlier row had, and those of them staged as good rows."""
        if not self.rows:
            return NO_RECORDS, np.zeros(0, dtype=np.int64)
        rows = np.concatenate(self.rows)
        repeated = self.tracker.repeats(rows, np.concatenate(self.hashes))
        if not repeated.any():
            return NO_RECORDS, np.zeros(0, dtype=np.int64)
        raw = RawTable(frame=pd.concat(self.raw).loc[rows[repeated]], sheet=self.sheet)
        failures = duplicate_key_failures(self.domain, pd.Index(rows[repeated]))
        domain, key, file_hash = self.domain.name, self.file_key, self.file_hash
        records = build_failed_records(domain, key, file_hash, raw, failures, self.run)
        return records, rows[repeated & np.concatenate(self.staged)]

    def close(self) -> None:
        """Close the tracker's hash file."""
        self.tracker.close()
