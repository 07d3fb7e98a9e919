import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from workdata.core.retry_schedule import RetrySchedule
from workdata.core.storage.circuit import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreakers,
    FileCircuitState,
    RedisCircuitState,
)
from workdata.core.transient import retrying
from workdata_tests.brokers import REDIS_URL, require_redis

NOW = datetime(2024, 11, 30, tzinfo=UTC)


def test_full_jitter_stays_under_the_capped_exponential():
    policy = RetrySchedule(max_attempts=10, base_seconds=10, factor=3, cap_seconds=100)
    rng = random.Random(1)
    for attempts, ceiling in ((1, 10), (2, 30), (3, 90), (4, 100), (9, 100)):
        delays = [policy.delay(attempts, rng).total_seconds() for _ in range(300)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # jitter spreads over the whole window
    assert policy.next_retry_at(9, NOW, rng) > NOW
    assert policy.next_retry_at(10, NOW) is None


def test_in_run_retries_retry_transient_faults_only():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("slow")
        return "ok"

    assert retrying(lambda e: isinstance(e, TimeoutError), attempts=3, base_seconds=0)(flaky) == "ok"
    calls.clear()
    with pytest.raises(ValueError):
        retrying(lambda e: isinstance(e, TimeoutError), attempts=5, base_seconds=0)(
            lambda: calls.append(1) or (_ for _ in ()).throw(ValueError("bad"))
        )
    assert len(calls) == 1


@pytest.fixture(params=["file", "redis"])
def circuit_state(request, tmp_path):
    """Where breakers persist: a file (one machine) or Redis (every machine of a deployment)."""
    if request.param == "file":
        return lambda: FileCircuitState(tmp_path / "c.json")
    require_redis()
    key = f"workdata:test:{uuid.uuid4().hex}"
    request.addfinalizer(lambda: RedisCircuitState(REDIS_URL, key).client.delete(key))
    return lambda: RedisCircuitState(REDIS_URL, key)


def test_breaker_opens_after_threshold_and_one_probe_decides(circuit_state):
    breakers = CircuitBreakers(circuit_state(), threshold=2, cooldown=timedelta(minutes=5))
    assert breakers.blocked_until("warehouse", NOW) is None
    breakers.record("warehouse", ok=False, now=NOW)
    assert breakers.states()["warehouse"].state == CLOSED
    breakers.record("warehouse", ok=False, now=NOW)
    assert breakers.states()["warehouse"].state == OPEN
    assert breakers.blocked_until("warehouse", NOW + timedelta(minutes=1)) == NOW + timedelta(minutes=5)
    later = NOW + timedelta(minutes=6)
    assert breakers.blocked_until("warehouse", later) is None  # the probe
    assert breakers.states()["warehouse"].state == HALF_OPEN
    assert breakers.blocked_until("warehouse", later) is not None  # everyone else waits for it
    breakers.record("warehouse", ok=False, now=later)
    assert breakers.states()["warehouse"].state == OPEN
    probe_time = later + timedelta(minutes=6)
    assert breakers.blocked_until("warehouse", probe_time) is None
    breakers.record("warehouse", ok=True, now=probe_time)
    assert breakers.states()["warehouse"].state == CLOSED
    # Persisted: a new object (another process) sees the same state.
    assert CircuitBreakers(circuit_state()).states()["warehouse"].failures == 0


def test_breakers_in_an_unreachable_redis_read_closed_and_never_stop_the_pipeline():
    breakers = CircuitBreakers(RedisCircuitState("redis://127.0.0.1:1/0", "workdata:test:none"), threshold=1)
    assert breakers.blocked_until("warehouse", NOW) is None
    breakers.record("warehouse", ok=False, now=NOW)  # not saved, and no exception
    assert breakers.states() == {} and breakers.blocked_until("warehouse", NOW) is None
