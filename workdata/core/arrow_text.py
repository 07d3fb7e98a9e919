"""Arrow text as its raw buffers, for byte-level questions numpy answers in one pass."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value boundaries (len + 1 offsets into the bytes) and the UTF-8 bytes of a `string` array."""
    offsets, data = values.buffers()[1:3]
    if offsets is None:  # an empty array may come without buffers
        return np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    bounds = np.frombuffer(offsets, dtype=np.int32)[values.offset : values.offset + len(values) + 1]
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
