"""Read ahead on a helper thread: pyarrow parses the next block without the GIL while this one is checked."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """`items`, produced on a helper thread at most `depth` ahead; its errors are raised here, in order.

    Close the result (or exhaust it) to stop the helper: it closes `items` on its own thread.
    """
    slots: queue.Queue = queue.Queue()
    # The helper starts on an item only when there is room for it: `depth` items wait at most, and none
    # is half made beside them (a 75k-row block of a large file is ~20 MB).
    room = threading.Semaphore(depth)
    stop = threading.Event()
    thread = threading.Thread(
        target=_produce, args=(items, slots, room, stop), name="workdata-read-ahead", daemon=True
    )
    thread.start()
    try:
        while True:
            item, error = slots.get()
            room.release()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _produce(items: Iterable, slots: queue.Queue, room: threading.Semaphore, stop: threading.Event) -> None:
    iterator = iter(items)
    try:
        while _wait_for(room, stop):
            try:
                item = next(iterator)
            except StopIteration:
                slots.put((_DONE, None))
                return
            slots.put((item, None))
    except BaseException as exc:  # handed to the consumer, which raises it where the item would be
        slots.put((None, exc))
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _wait_for(room: threading.Semaphore, stop: threading.Event) -> bool:
    # A consumer that stopped early never makes room again: give up instead of waiting forever.
    while not stop.is_set():
        if room.acquire(timeout=0.05):
            return True
    return False
