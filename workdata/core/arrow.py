"""Arrow helpers: text as its raw buffers (for byte-level questions numpy answers in one pass), and Parquet
files written once and read back once, soon (staged rows, spilled failed records)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value boundaries (len + 1 offsets into the bytes) and the UTF-8 bytes of a (large) string array."""
    offsets, data = values.buffers()[1:3]
    kind = np.int64 if pa.types.is_large_string(values.type) else np.int32
    if offsets is None:  # an empty array may come without buffers
        return np.zeros(1, dtype=kind), np.zeros(0, dtype=np.uint8)
    bounds = np.frombuffer(offsets, dtype=kind)[values.offset : values.offset + len(values) + 1]
    return bounds, np.zeros(0, dtype=np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)


def any_byte_in(values: pa.Array, table: np.ndarray) -> bool:
    """True when a byte of the values is marked in `table` (256 booleans)."""
    bounds, data = text_buffers(values)
    return bool(table[data[bounds[0] : bounds[-1]]].any())


def first_byte_in(values: pa.Array, table: np.ndarray) -> np.ndarray:
    """Per value: its first byte is marked in `table` (False for empty and missing values)."""
    bounds, data = text_buffers(values)
    starts, filled = bounds[:-1], bounds[1:] > bounds[:-1]
    marked = np.zeros(len(values), dtype=bool)
    marked[filled] = table[data[starts[filled]]]
    return marked


def values_with_byte_in(
    values: pa.Array | pa.ChunkedArray, table: np.ndarray, empty: bool = False
) -> np.ndarray:
    """Per value: one of its bytes is marked in `table` (256 booleans); an empty value is marked when
    `empty` says so."""
    if isinstance(values, pa.ChunkedArray):
        parts = [values_with_byte_in(chunk, table, empty) for chunk in values.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    bounds, data = text_buffers(values)
    starts, filled = bounds[:-1] - bounds[0], bounds[1:] > bounds[:-1]
    marked = np.full(len(values), empty, dtype=bool)
    if filled.any():
        # Empty values hold no byte, so each filled value's bytes run up to the next filled value's start.
        hits = table[data[bounds[0] : bounds[-1]]].view(np.uint8)
        marked[filled] = np.maximum.reduceat(hits, starts[filled]).astype(bool)
    return marked


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
