"""In-run retries of transient faults (a busy warehouse, a reference table being replaced) through
tenacity; a file's retries across runs are the retry schedule's (retry_schedule.py)."""

from __future__ import annotations

from collections.abc import Callable

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential


def retrying(
    is_transient: Callable[[BaseException], bool], attempts: int = 3, base_seconds: float = 0.2
) -> Retrying:
    """Call a function through the result, retrying what `is_transient` accepts up to `attempts` times with
    jittered exponential waits; anything else, or the last failure, is raised as it is."""
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=base_seconds),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
