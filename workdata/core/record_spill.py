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
    """Failed records in row order in a Parquet file, and in a second one those found at the file's end
    (repeated business keys); read back merged in row order."""

    def __init__(self, path: Path) -> None:
        self.path, self.num_rows = path, 0
        self._late_path = path.with_name(f"{path.stem}.late{path.suffix}")
        self._writers: dict[Path, pq.ParquetWriter] = {}
        self._counts: Counter[str] = Counter()
        self._first: tuple | None = None  # (row, type, column, message) of the lowest record so far

    def add(self, records: pa.Table | pd.DataFrame, late: bool = False) -> None:
        """Keep one block's records (in row order, after the earlier blocks'), or `late` ones: found at the
        file's end, of any of its rows, in row order after the late ones added before."""
        table = to_arrow(records)
        if not table.num_rows:
            return
        self.num_rows += table.num_rows
        self._counts.update(reason_counts(table))
        top = table.slice(0, 1).to_pylist()[0]  # plain values: a slice would keep the block's buffers
        first = (top["row_index"], str(top["error_type"]), str(top["column"]), str(top["message"]))
        self._first = first if self._first is None else min(self._first, first)
        path = self._late_path if late else self.path
        if path not in self._writers:
            repeating = [name for name in table.schema.names if name not in _UNREPEATED]
            self._writers[path] = spill_writer(path, table.schema, repeating)
        spill_write(self._writers[path], in_record_order(table) if late else table)

    def close(self) -> None:
        """Finish the files written so far (before reading them back; `late` records may still be added
        when none were before: close again after them)."""
        self._finish(self.path)
        self._finish(self._late_path)

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
        late, pending = self._batches(self._late_path, rows), NO_RECORDS
        for part in self._batches(self.path, rows):
            last = part["row_index"][-1].as_py()
            # Late records up to the part's last row; that row's own wait: it may go on in the next part.
            while not pending.num_rows or pending["row_index"][-1].as_py() < last:
                more = next(late, None)
                if more is None:
                    break
                pending = pa.concat_tables([pending, more.cast(pending.schema)])
            due = int(np.searchsorted(np.asarray(pending["row_index"]), last, side="left"))
            if due:
                part = in_record_order(pa.concat_tables([part, pending.slice(0, due).cast(part.schema)]))
                pending = pending.slice(due)
            yield part
        if pending.num_rows:
            yield pending
        yield from late

    def insert_into(self, conn: Connection) -> None:
        """Insert every record into failed_records: the database reads the Parquet files itself."""
        # Not through Arrow slices: DuckDB keeps inserted Arrow buffers alive until the transaction ends,
        # so slices would add up to every record in memory at once.
        for path in (self.path, self._late_path):
            if self._finish(path):
                conn.insert_parquet("failed_records", path, np.zeros(0, dtype=np.int64))

    def _finish(self, path: Path) -> bool:
        # True when `path` holds records; its writer is closed first, so it can be read.
        writer = self._writers.get(path)
        if writer is not None and writer.is_open:
            writer.close()
        return writer is not None

    def _batches(self, path: Path, rows: int) -> Iterator[pa.Table]:
        if self._finish(path):
            yield from (pa.Table.from_batches([batch]) for batch in spill_batches(path, rows))
