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
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    thread = threading.Thread(target=_produce, args=(items, slots, stop), name="workdata-read-ahead")
    thread.daemon = True
    thread.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _produce(items: Iterable, slots: queue.Queue, stop: threading.Event) -> None:
    iterator = iter(items)
    try:
        for item in iterator:
            if not _offer(slots, (item, None), stop):
                return
        _offer(slots, (_DONE, None), stop)
    except BaseException as exc:  # handed to the consumer, which raises it where the item would be
        _offer(slots, (None, exc), stop)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _offer(slots: queue.Queue, entry: tuple, stop: threading.Event) -> bool:
    # A consumer that stopped early never takes another item: give up instead of waiting forever.
    while not stop.is_set():
        try:
            slots.put(entry, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False
