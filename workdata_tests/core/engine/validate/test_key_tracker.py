import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.engine.validate.key_tracker import KeyTracker, key_hashes


def _keys(values) -> pd.DataFrame:
    return pd.DataFrame({"plan": [f"P{v}" for v in values], "month": ["2024-01"] * len(values)})


def _repeats_in_blocks(tmp_path, blocks: list[list[int]], capacity: int, chunk: int = 1 << 18) -> list[int]:
    """Row numbers the tracker confirms as repeating a key of an earlier block (rows numbered from 1)."""
    tracker, start = KeyTracker(tmp_path, capacity), 1
    rows, hashes = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    for values in blocks:
        numbers = np.arange(start, start + len(values), dtype=np.int64)
        block_hashes = key_hashes(_keys(values))
        # As staging does: a repeat inside the block is validation's own business.
        maybe = tracker.add(numbers, block_hashes) & ~pd.Series(values, dtype="int64").duplicated().to_numpy()
        rows.append(numbers[maybe])
        hashes.append(block_hashes[maybe])
        start += len(values)
    candidates = np.concatenate(rows)
    confirmed = tracker.repeats(candidates, np.concatenate(hashes), chunk)
    tracker.close()
    return sorted(candidates[confirmed].tolist())


def _expected(blocks: list[list[int]]) -> list[int]:
    # A row repeats across blocks when an earlier block held its key and no earlier row of its own block.
    seen, expected, row = set(), [], 1
    for values in blocks:
        for position, value in enumerate(values):
            if value in seen and value not in values[:position]:
                expected.append(row)
            row += 1
        seen |= set(values)
    return expected


def test_keys_of_earlier_blocks_are_repeats_and_a_blocks_own_keys_are_not(tmp_path):
    assert _repeats_in_blocks(tmp_path, [[1, 2, 3], [3, 4, 1, 1]], 1024) == [4, 6]


@pytest.mark.parametrize("capacity", [1, 64, 1 << 16])
def test_an_overfull_or_tiny_filter_names_more_candidates_but_confirms_exactly(tmp_path, capacity):
    rng = np.random.default_rng(7)
    blocks = [rng.integers(0, 5_000, size=300).tolist() for _ in range(40)]
    assert _repeats_in_blocks(tmp_path, blocks, capacity) == _expected(blocks)


@pytest.mark.parametrize("chunk", [1, 7, 1 << 18])
def test_the_stored_hashes_read_back_in_any_chunk_size_confirm_the_same_repeats(tmp_path, chunk):
    rng = np.random.default_rng(11)
    blocks = [rng.integers(0, 500, size=60).tolist() for _ in range(12)]
    assert _repeats_in_blocks(tmp_path, blocks, 1 << 10, chunk) == _expected(blocks)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=20), max_size=8), st.integers(1, 64))
def test_confirmed_repeats_are_exactly_the_keys_of_earlier_blocks(tmp_path_factory, blocks, capacity):
    folder = tmp_path_factory.mktemp("keys")
    assert _repeats_in_blocks(folder, blocks, capacity) == _expected(blocks)


def test_the_filter_names_few_false_candidates_at_its_capacity(tmp_path):
    tracker = KeyTracker(tmp_path, 200_000)
    tracker.add(np.arange(200_000), key_hashes(_keys(range(200_000))))
    fresh = tracker.add(np.arange(200_000, 300_000), key_hashes(_keys(range(10**6, 10**6 + 100_000))))
    tracker.close()
    assert fresh.mean() < 0.02  # each false candidate costs a raw-row JSON, never a wrong result


def test_key_hashes_are_pandas_hashes_of_the_key_columns():
    keys = pd.DataFrame(
        {
            "month": pd.to_datetime(["2024-01-01", None, "2024-01-01", "2024-02-01"]),
            "plan": pd.Series(["P1", "P2", None, "P1"], dtype="str"),
            "amount": [1.5, float("nan"), 2.0, 1.5],
        }
    )
    expected = pd.util.hash_pandas_object(keys, index=False).to_numpy(np.uint64)
    assert (key_hashes(keys) == expected).all()
    assert (key_hashes(keys[["plan"]]) == pd.util.hash_pandas_object(keys[["plan"]], index=False)).all()
