import numpy as np
import pandas as pd

from workdata.core.key_tracker import KeyTracker


def _keys(values) -> pd.DataFrame:
    return pd.DataFrame({"plan": [f"P{v}" for v in values], "month": ["2024-01"] * len(values)})


def test_keys_of_earlier_blocks_are_seen_and_a_blocks_own_keys_are_not():
    tracker = KeyTracker()
    assert not tracker.check_and_add(_keys([1, 2, 3])).any()
    assert list(tracker.check_and_add(_keys([3, 4, 1]))) == [True, False, True]


def test_many_blocks_merge_runs_and_still_find_every_earlier_key():
    tracker, rng = KeyTracker(), np.random.default_rng(7)
    earlier: set[int] = set()
    for block in range(40):
        values = rng.integers(0, 5_000, size=300)
        seen = tracker.check_and_add(_keys(values))
        assert list(seen) == [int(v) in earlier for v in values], block
        earlier |= {int(v) for v in values}
    assert len(tracker._runs) <= 12  # merged as they grow: log-many runs are searched
