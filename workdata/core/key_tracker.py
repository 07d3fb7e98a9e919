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
        # Searching in sorted order walks each run forwards: far fewer cache misses than random probes.
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        found = np.zeros(len(hashes), dtype=bool)
        for run in self._runs:
            positions = np.searchsorted(run, ordered).clip(max=len(run) - 1)
            found |= run[positions] == ordered
        seen = np.empty_like(found)
        seen[order] = found
        self._add(ordered)
        return seen

    def _add(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        self._runs.append(hashes)
        # Merge neighbours of similar size: at most log2(rows) runs are ever searched. The merged run is
        # sorted in place and its parts dropped first, so a merge never holds more than two copies.
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last, previous = self._runs.pop(), self._runs.pop()
            merged = np.concatenate([previous, last])
            del last, previous
            merged.sort(kind="stable")  # timsort: two sorted runs merge in linear time
            self._runs.append(merged)
