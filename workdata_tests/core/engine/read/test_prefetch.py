"""Read-ahead on a helper thread: same items, same order, errors where they happened, clean early stop."""

import threading
import time

import pytest

from workdata.core.engine.read.prefetch import prefetched


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


@pytest.mark.parametrize("depth", [1, 2])
def test_the_helper_makes_no_item_beyond_depth(depth):
    made = []

    def source():
        for n in range(100):
            made.append(n)
            yield n

    reader = prefetched(source(), depth=depth)
    for taken in range(1, 4):
        assert next(reader) == taken - 1
        deadline = time.monotonic() + 120  # only bounds a hang: a loaded machine may take long
        while len(made) < taken + depth and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)  # time enough to overrun the bound, were there no bound
        assert len(made) == taken + depth  # the items taken and `depth` waiting, none half made
    reader.close()
