"""Business keys seen in earlier blocks of a file, so duplicates are found file-wide in flat memory."""

from __future__ import annotations

import numpy as np
import pandas as pd


class KeyTracker:
    """Keys as 64-bit hashes in a few sorted runs (merged as they grow): 8 bytes a row, log-time lookups."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def check_and_add(self, keys: pd.DataFrame) -> np.ndarray:
        """For each row, True when an earlier block held its key; then remember this block's keys."""
        hashes = pd.util.hash_pandas_object(keys, index=False).to_numpy(dtype=np.uint64)
        seen = np.zeros(len(hashes), dtype=bool)
        for run in self._runs:
            positions = np.searchsorted(run, hashes).clip(max=len(run) - 1)
            seen |= run[positions] == hashes
        self._add(_sorted_unique(hashes))
        return seen

    def _add(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        self._runs.append(hashes)
        # Merge neighbours of similar size: at most log2(rows) runs are ever searched.
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last = self._runs.pop()
            self._runs[-1] = _sorted_unique(np.concatenate([self._runs[-1], last]))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # Sort then drop repeats: much faster than np.unique's hashing for 64-bit keys.
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values
