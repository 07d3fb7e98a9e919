"""When a failed, retryable file is tried again (across runs): capped exponential backoff, full jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class RetrySchedule(BaseModel):
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
