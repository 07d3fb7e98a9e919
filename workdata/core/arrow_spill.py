"""Parquet files written once and read back once, soon (staged rows, spilled failed records)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def spill_writer(path: Path, schema: pa.Schema, repeating: list[str]) -> pq.ParquetWriter:
    """A Parquet writer for a file read back once, soon: cheap to encode beats small. Dictionaries only
    for the `repeating` columns (pyarrow would build one for every column, then give most up); no
    compression or statistics: about a quarter of the default's CPU time."""
    return pq.ParquetWriter(
        path, schema, compression="none", use_dictionary=repeating, write_statistics=False
    )


# A row group is what DuckDB's Parquet reader holds per thread while it inserts: at ~60-75 MB (a block's
# failed records when most rows fail, or 75k rows of 2 KB) it ran out of its 128 MB insert limit; 37 MB
# went in.
RECORD_GROUP_BYTES = 8 << 20
ROW_GROUP_BYTES = 24 << 20  # a block of ordinary rows (~16 MB at 75k rows of 14 columns) stays whole


def spill_write(writer: pq.ParquetWriter, table: pa.Table, max_bytes: int = RECORD_GROUP_BYTES) -> None:
    """Append `table` in row groups of at most about `max_bytes`, whatever its rows' width."""
    if table.num_rows:
        per_row = max(1, table.nbytes // table.num_rows)
        writer.write_table(table, row_group_size=max(16, max_bytes // per_row))


def spill_batches(path: Path, rows: int) -> Iterator[pa.RecordBatch]:
    """The file's rows in order, about `rows` at a time, holding one row group's data at most."""
    # pyarrow pre-buffers by default, and iter_batches keeps every pre-buffered column chunk until the
    # reader is done: reading 2.7M spilled records (618 MB) held 622 MB and took 3.5x as long.
    yield from pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=rows)
