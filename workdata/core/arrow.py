"""Arrow text as its raw buffers, for byte-level questions numpy answers in one pass."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


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
