"""What the engine hands over for one file, one shape each whatever the file's size: its good rows and its
failed records, held in memory for a small file or spilled to Parquet as a large file's blocks are read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workdata.core.arrow import spill_batches, spill_write, spill_writer
from workdata.core.record_tables import (
    NO_RECORDS,
    failure_line,
    in_record_order,
    most_frequent,
    reason_counts,
    records_from_frame,
)
from workdata.core.records import ErrorType

_DROPPED = str(ErrorType.DROPPED_IN_PIPELINE)
_UNREPEATED = ("raw_data", "message", "row_index", "attempt")  # no dictionary: their values rarely repeat


@dataclass(frozen=True, eq=False)  # tables and arrays: compared by identity
class GoodRows:
    """Good rows with their lineage columns: Arrow tables in memory, and Parquet files staged on disk
    (each less the row numbers found bad after it was written)."""

    count: int = 0
    tables: tuple[pa.Table, ...] = ()
    files: tuple[tuple[Path, np.ndarray], ...] = ()

    @classmethod
    def in_memory(cls, table: pa.Table) -> GoodRows:
        """A small file's rows, already with their lineage."""
        return cls(table.num_rows, (table,) if table.num_rows else ())

    @classmethod
    def staged(cls, path: Path, skip: np.ndarray, count: int) -> GoodRows:
        """A large file's `count` rows in the Parquet file at `path`, less the `skip` row numbers."""
        return cls(count, (), ((path, skip),) if count else ())

    def __len__(self) -> int:
        return self.count


class FailedRecords:
    """A file's failed records, read back in row order: kept in memory, or (with `spill_to`) written to a
    Parquet file as blocks are read and to a second one for those found at the file's end (repeated
    business keys), merged in row order when read, so memory does not grow with the file."""

    def __init__(self, spill_to: Path | None = None) -> None:
        self.num_rows = 0
        self._spill = spill_to
        self._late = spill_to.with_name(f"{spill_to.stem}.late{spill_to.suffix}") if spill_to else None
        self._writers: dict[Path, pq.ParquetWriter] = {}
        self._kept: list[pa.Table] = []
        self._counts: Counter[str] = Counter()
        self._first: tuple | None = None  # (row, type, column, message) of the lowest record so far

    @classmethod
    def in_memory(cls, table: pa.Table) -> FailedRecords:
        """Records already in row order, kept as they are."""
        failed = cls()
        failed.add(table)
        return failed

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> FailedRecords:
        """Records read back as a frame (from the store or a session CSV), kept in memory."""
        return cls.in_memory(records_from_frame(frame))

    def add(self, table: pa.Table, late: bool = False) -> None:
        """Keep one block's records (in row order, after the earlier blocks'), or `late` ones: found at the
        file's end, of any of its rows, in row order after the late ones added before."""
        if not table.num_rows:
            return
        self.num_rows += table.num_rows
        # Rows dropped on purpose are recorded but are no failure: they give no reason and no first failure.
        judged = table.filter(pc.not_equal(table["error_type"], _DROPPED))
        self._counts.update(reason_counts(judged))
        if judged.num_rows:
            top = judged.slice(0, 1).to_pylist()[0]  # plain values: a slice would keep the block's buffers
            first = (top["row_index"], str(top["error_type"]), str(top["column"]), str(top["message"]))
            self._first = first if self._first is None else min(self._first, first)
        if self._spill is None:
            self._kept.append(table)
            if late:  # held in memory, records are put back in row order once, when read
                self._kept = [in_record_order(pa.concat_tables(self._kept, promote_options="permissive"))]
            return
        path = self._late if late else self._spill
        if path not in self._writers:
            repeating = [name for name in table.schema.names if name not in _UNREPEATED]
            self._writers[path] = spill_writer(path, table.schema, repeating)
        spill_write(self._writers[path], in_record_order(table) if late else table)

    def close(self) -> None:
        """Finish the files written so far (before reading them back; `late` records may still be added
        when none were before: close again after them)."""
        for path in self._writers:
            self._finish(path)

    def __len__(self) -> int:
        return self.num_rows

    @property
    def spilled(self) -> bool:
        """Whether the records go to Parquet files rather than stay in memory."""
        return self._spill is not None

    def first_failure(self) -> str:
        """The record of the lowest row, as "row N: message"; empty without records."""
        return "" if self._first is None else failure_line(self._first[0], self._first[3])

    def top_reasons(self, limit: int = 5) -> tuple[tuple[str, int], ...]:
        """The most frequent reasons over all records."""
        return most_frequent(self._counts, limit)

    def tables(self) -> list[pa.Table]:
        """The records kept in memory, in row order (none when they were spilled)."""
        return [table for table in self._kept if table.num_rows]

    def parquet_files(self) -> list[Path]:
        """The finished Parquet files of spilled records, for a database to read itself."""
        return [path for path in (self._spill, self._late) if path is not None and self._finish(path)]

    def slices(self, rows: int = 10_000) -> Iterator[pa.Table]:
        """Every record in row order, about `rows` at a time."""
        for table in self.tables():
            yield from (table.slice(start, rows) for start in range(0, table.num_rows, rows))
        if self._spill is None or self._late is None:
            return
        late, pending = self._batches(self._late, rows), NO_RECORDS
        for part in self._batches(self._spill, rows):
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

    def _finish(self, path: Path) -> bool:
        # True when `path` holds records; its writer is closed first, so it can be read.
        writer = self._writers.get(path)
        if writer is not None and writer.is_open:
            writer.close()
        return writer is not None

    def _batches(self, path: Path, rows: int) -> Iterator[pa.Table]:
        if self._finish(path):
            yield from (pa.Table.from_batches([batch]) for batch in spill_batches(path, rows))


@dataclass(frozen=True, eq=False)
class Staged:
    """One file read, validated and staged: its rows, its failed records and what the reading found."""

    good: GoodRows
    records: FailedRecords
    rows_total: int
    rows_dropped: int = 0  # blank, filler, totals and repeated-header rows (DROPPED_IN_PIPELINE records)
    extras: tuple[str, ...] = ()  # columns the domain does not know (schema drift, kept in raw data)
    sheets: tuple[str, ...] = ()  # a workbook's data sheets read
    skipped_sheets: tuple[tuple[str, str], ...] = ()  # its other sheets, with why they were not read
    encoding: str | None = None  # a text file's encoding, as read

    @property
    def rows_loaded(self) -> int:
        """Rows that passed validation."""
        return len(self.good)

    @property
    def rows_failed(self) -> int:
        """Rows rejected: every row neither loaded nor dropped on purpose."""
        return self.rows_total - self.rows_loaded - self.rows_dropped

    @property
    def in_memory(self) -> bool:
        """Whether nothing was spilled to disk (the file may then wait for a grouped commit)."""
        return not self.good.files and not self.records.spilled
