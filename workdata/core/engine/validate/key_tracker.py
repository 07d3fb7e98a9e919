"""Business keys of earlier blocks of a file, in memory that does not grow with the file.

A block's keys are checked against a Bloom filter (~1.5 bytes a key) and every key's 64-bit hash is
appended to a file on disk. The filter never misses an earlier key but may name a few keys that were not
seen (candidates); one pass over the hash file at the end tells the true repeats from those.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workdata.core.engine.validate.distinct import Distinct, judged

_BITS_PER_KEY = 12
_PAIR = np.dtype([("row", "<i8"), ("hash", "<u8")])
_SHIFTS = np.array([40, 46, 52, 58], dtype=np.uint64)  # four 6-bit positions from the hash's top bits


def key_hashes(keys: pd.DataFrame, distinct: dict[str, Distinct] | None = None) -> np.ndarray:
    """64-bit hashes of each row's key (equal keys, equal hashes; NA equals NA, as `duplicated` has it):
    pandas' `hash_pandas_object(keys, index=False)`, a column with distinct values hashed once per value."""
    distinct = distinct or {}
    return _combined([judged(_value_hashes, keys[name], distinct.get(name)) for name in keys.columns])


def _value_hashes(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values, index=False).to_numpy(np.uint64)


def _combined(hashes: list[np.ndarray]) -> np.ndarray:
    # pandas' combine_hash_arrays (CPython's tuple hash), which hash_pandas_object applies to a frame's
    # columns; written out because it is not public.
    out = np.full(len(hashes[0]), 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for i, column in enumerate(hashes):
        out ^= column
        out *= multiplier
        multiplier += np.uint64(82520 + 2 * (len(hashes) - i))
    return out + np.uint64(97531)


class _Bloom:
    """A blocked Bloom filter: each key sets four bits inside one 64-bit word (one cache line a key)."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.added = capacity, 0
        self.words = np.zeros(max(1, capacity * _BITS_PER_KEY // 64), dtype=np.uint64)

    def _where(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slots = hashes % np.uint64(len(self.words))
        masks = np.zeros(len(hashes), dtype=np.uint64)
        for shift in _SHIFTS:  # four flat passes: ~8x faster than one reduce over a (n, 4) array
            masks |= np.left_shift(np.uint64(1), (hashes >> shift) & np.uint64(63))
        return slots.astype(np.int64), masks

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        slots, masks = self._where(hashes)
        return (self.words[slots] & masks) == masks

    def add(self, hashes: np.ndarray) -> None:
        slots, masks = self._where(hashes)
        np.bitwise_or.at(self.words, slots, masks)
        self.added += len(hashes)


class KeyTracker:
    """Which rows repeat a key of an earlier block: `add` names candidates, `repeats` confirms them."""

    def __init__(self, folder: Path, first_capacity: int = 1 << 20) -> None:
        self._filters = [_Bloom(first_capacity)]
        self._path = folder / "key_hashes.bin"
        self._file = self._path.open("wb")

    def add(self, rows: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """For each row (row number, key hash), True when an earlier block may hold its key; then keep it."""
        maybe = np.zeros(len(hashes), dtype=bool)
        for bloom in self._filters:
            maybe |= bloom.contains(hashes)
        self._remember(hashes)
        pairs = np.empty(len(rows), dtype=_PAIR)
        pairs["row"], pairs["hash"] = rows, hashes
        pairs.tofile(self._file)
        return maybe

    def repeats(self, rows: np.ndarray, hashes: np.ndarray, chunk: int = 1 << 18) -> np.ndarray:
        """For each candidate, True when a row before it in the file has the same key hash."""
        # A chunk of 2**18 pairs is 4 MB with ~6 MB of temporaries; at 2**20 this pass was the peak of a
        # 1 GB file's staging (+20 MB over its blocks).
        self._file.flush()
        if not len(hashes):
            return np.zeros(0, dtype=bool)
        unique = np.unique(hashes)
        first = np.full(len(unique), np.iinfo(np.int64).max, dtype=np.int64)
        with self._path.open("rb") as stored:
            while len(pairs := np.fromfile(stored, dtype=_PAIR, count=chunk)):
                positions = np.searchsorted(unique, pairs["hash"]).clip(max=len(unique) - 1)
                hit = unique[positions] == pairs["hash"]
                np.minimum.at(first, positions[hit], pairs["row"][hit])
        return first[np.searchsorted(unique, hashes)] < rows

    def close(self) -> None:
        """Close the hash file (the caller's folder is removed with it)."""
        self._file.close()

    def _remember(self, hashes: np.ndarray) -> None:
        # A filter past its capacity would name ever more false candidates: the next one is twice as big.
        last = self._filters[-1]
        room = max(0, last.capacity - last.added)
        last.add(hashes[:room])
        if len(hashes) > room:
            self._filters.append(_Bloom(2 * last.capacity))
            self._remember(hashes[room:])
