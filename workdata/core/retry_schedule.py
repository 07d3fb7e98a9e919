"""Retry timing: capped exponential backoff with full jitter, and a small in-run retry helper."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class RetryPolicy(BaseModel):
    """How often and how politely a failed, retryable file is tried again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(4, ge=1)
    base_seconds: float = Field(60.0, ge=0)
    factor: float = Field(2.0, ge=1)
    cap_seconds: float = Field(3600.0, ge=0)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Full jitter (AWS architecture blog): uniform between 0 and the capped exponential."""
        ceiling = min(self.cap_seconds, self.base_seconds * self.factor ** max(attempts - 1, 0))
        return timedelta(seconds=(rng or random).uniform(0, ceiling))

    def next_retry_at(
        self, attempts: int, now: datetime, rng: random.Random | None = None
    ) -> datetime | None:
        """When the next attempt is due, or None when `attempts` used up the cap."""
        return None if attempts >= self.max_attempts else now + self.delay(attempts, rng)


def call_with_retry(
    fn: Callable[[], T],
    is_transient: Callable[[BaseException], bool],
    attempts: int = 3,
    base_seconds: float = 0.2,
) -> T:
    """Call `fn`, retrying transient errors `attempts` times with jittered backoff; terminal ones raise."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(random.uniform(0, base_seconds * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")
