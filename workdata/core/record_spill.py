"""A large file's failed records on disk as its blocks are read, so memory does not grow with the file;
read back in row order, a slice at a time, for the commit and the failure log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workdata.core.connect import Connection
from workdata.core.failed_records import (
    NO_RECORDS,
    failure_line,
    in_record_order,
    most_frequent,
    reason_counts,
    to_arrow,
)
from workdata.core.spill_files import spill_batches, spill_write, spill_writer

_UNREPEATED = ("raw_data", "message", "row_index", "attempt")  # no dictionary: their values rarely repeat


class SpilledRecords:
    """Failed records in row order in a Parquet file, plus the few found at the file's end in memory."""

    def __init__(self, path: Path) -> None:
        self.path, self.num_rows = path, 0
        self._writer: pq.ParquetWriter | None = None
        self._late: pa.Table | None = None
        self._counts: Counter[str] = Counter()
        self._first: tuple | None = None  # (row, type, column, message) of the lowest record so far

    def add(self, records: pa.Table | pd.DataFrame, late: bool = False) -> None:
        """Keep one block's records (in row order, after the earlier blocks'), or `late` ones of any row."""
        table = to_arrow(records)
        if not table.num_rows:
            return
        self.num_rows += table.num_rows
        self._counts.update(reason_counts(table))
        top = table.slice(0, 1).to_pylist()[0]  # plain values: a slice would keep the block's buffers
        first = (top["row_index"], str(top["error_type"]), str(top["column"]), str(top["message"]))
        self._first = first if self._first is None else min(self._first, first)
        if late:
            late_ones = table if self._late is None else pa.concat_tables([self._late, table])
            self._late = in_record_order(late_ones)
            return
        if self._writer is None:
            repeating = [name for name in table.schema.names if name not in _UNREPEATED]
            self._writer = spill_writer(self.path, table.schema, repeating)
        spill_write(self._writer, table)

    def close(self) -> None:
        """Finish the Parquet file (before reading it back; `late` records may still be added)."""
        if self._writer is not None:
            self._writer.close()

    def __len__(self) -> int:
        return self.num_rows

    def first_failure(self) -> str:
        """The record of the lowest row, as "row N: message"."""
        return "" if self._first is None else failure_line(self._first[0], self._first[3])

    def top_reasons(self, limit: int = 5) -> tuple[tuple[str, int], ...]:
        """The most frequent reasons over all records."""
        return most_frequent(self._counts, limit)

    def slices(self, rows: int = 10_000) -> Iterator[pa.Table]:
        """Every record in row order, about `rows` at a time."""
        late = self._late if self._late is not None else NO_RECORDS
        late_rows, done = np.asarray(late["row_index"], dtype=np.int64), 0  # late is in record order
        if self._writer is not None:
            for batch in spill_batches(self.path, rows):
                part = pa.Table.from_batches([batch])
                # The part's last row may go on in the next batch: its late records are not due yet.
                due = int(np.searchsorted(late_rows, part["row_index"][-1].as_py(), side="left"))
                if due > done:
                    now = late.slice(done, due - done).cast(part.schema)
                    part, done = in_record_order(pa.concat_tables([part, now])), due
                yield part
        if done < late.num_rows:
            yield late.slice(done)

    def insert_into(self, conn: Connection) -> None:
        """Insert every record into failed_records: the database reads the Parquet file itself."""
        # Not through Arrow slices: DuckDB keeps inserted Arrow buffers alive until the transaction ends,
        # so slices would add up to every record in memory at once.
        if self._writer is not None:
            conn.insert_parquet("failed_records", self.path, np.zeros(0, dtype=np.int64))
        if self._late is not None:
            conn.insert_arrow("failed_records", self._late)
