"""Crash at any point: SIGKILL a real `workdata run`, recover, compare with an uninterrupted run."""

import os
import random

import pytest

from workdata_tests.crash_harness import (
    differences,
    prepare,
    random_kill_delay,
    recover,
    run_cli,
    run_here,
    snapshot,
    soak,
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    home = tmp_path_factory.mktemp("reference")
    prepare(home)
    assert run_here(home) == 3  # PARTIAL, as planted
    return snapshot(home)


@pytest.mark.parametrize(
    "fault",
    [
        "after_read:perf_2024-10_dirty.csv",
        "mid_commit:income_2024-10_dirty.csv",
        "after_commit:perf_2024-11_dirty.jsonl",
        "run_status",
    ],
)
def test_kill_at_a_named_point_then_recover_to_the_same_state(reference, tmp_path, fault):
    prepare(tmp_path)
    assert run_cli(tmp_path, WORKDATA_FAULT=fault) == -9  # really killed there
    recover(tmp_path)
    assert differences(reference, snapshot(tmp_path)) == []


def test_kills_at_random_moments(reference, tmp_path):
    rng = random.Random(7)
    for attempt in range(2):
        home = tmp_path / str(attempt)
        prepare(home)
        run_cli(home, kill_after=random_kill_delay(rng))
        recover(home)
        assert differences(reference, snapshot(home)) == []


@pytest.mark.slow
def test_soak_many_random_kills(reference, tmp_path):
    """WORKDATA_SOAK_KILLS (default 200) random kills; run with `./dev test -m slow`."""
    kills = int(os.environ.get("WORKDATA_SOAK_KILLS", "200"))
    survived, failures = soak(tmp_path, reference, kills)
    print(f"survived {survived}/{kills} random kills")
    assert failures == []
