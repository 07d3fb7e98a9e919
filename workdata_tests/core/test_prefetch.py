"""Read-ahead on a helper thread: same items, same order, errors where they happened, clean early stop."""

import threading
import time

import pytest

from workdata.core.prefetch import mapped_in_order, prefetched


def test_items_arrive_in_order_and_the_helper_ends():
    assert list(prefetched(range(1000), depth=2)) == list(range(1000))
    assert not [t for t in threading.enumerate() if t.name == "workdata-read-ahead"]


def test_an_error_is_raised_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("bad block")

    seen = []
    with pytest.raises(ValueError, match="bad block"):
        for item in prefetched(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_source_on_its_thread():
    closed = threading.Event()

    def source():
        try:
            yield from range(10**9)
        finally:
            closed.set()

    reader = prefetched(source())
    assert next(reader) == 0
    reader.close()
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "workdata-read-ahead"]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_mapped_in_order_keeps_order_and_bounds_work_in_flight(workers):
    started, lock, in_flight, most = [], threading.Lock(), [0], [0]

    def slow_square(n):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.002 * (n % 3))  # later items may finish first
        with lock:
            in_flight[0] -= 1
        return n * n

    def items():
        for n in range(30):
            started.append(n)
            yield n

    assert list(mapped_in_order(slow_square, items(), workers)) == [n * n for n in range(30)]
    assert most[0] <= workers and started == list(range(30))


def test_mapped_in_order_raises_in_order_and_stops_taking_items():
    taken = []

    def items():
        for n in range(100):
            taken.append(n)
            yield n

    def fail_on_five(n):
        if n == 5:
            raise ValueError("block 5")
        return n

    seen = []
    with pytest.raises(ValueError, match="block 5"):
        for value in mapped_in_order(fail_on_five, items(), 2):
            seen.append(value)
    assert seen == [0, 1, 2, 3, 4] and len(taken) <= 7
    assert not [t for t in threading.enumerate() if t.name.startswith("workdata-check")]
