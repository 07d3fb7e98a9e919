"""The suite's own rules: no test asserts on wall time."""

from __future__ import annotations

import hypothesis


def test_hypothesis_has_no_deadline_and_no_timing_health_check() -> None:
    """A loaded machine must not fail a property test (DeadlineExceeded once failed test_numbers.py)."""
    active = hypothesis.settings.default
    assert active.deadline is None
    assert hypothesis.HealthCheck.too_slow in active.suppress_health_check


@hypothesis.given(hypothesis.strategies.integers())
def test_a_test_without_its_own_settings_inherits_no_deadline(value: int) -> None:
    """@given without @settings runs under the suite's profile."""
    assert hypothesis.settings.default.deadline is None
