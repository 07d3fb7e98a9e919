"""Circuit breakers per dependency, persisted in a JSON file (usable even when the warehouse is down)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from filelock import FileLock

from workdata.core.session import utc_now

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class Circuit:
    """One dependency's breaker."""

    state: str = CLOSED
    failures: int = 0
    retry_at: str | None = None

    @property
    def retry_at_time(self) -> datetime | None:
        """When an open circuit lets one probe through."""
        return datetime.fromisoformat(self.retry_at) if self.retry_at else None


class CircuitBreakers:
    """Open after `threshold` consecutive failures; after `cooldown`, one probe decides (half-open)."""

    def __init__(self, path: Path, threshold: int = 3, cooldown: timedelta = timedelta(minutes=5)) -> None:
        self.path = path
        self.threshold = threshold
        self.cooldown = cooldown

    def _lock(self) -> FileLock:
        return FileLock(str(self.path.with_name(f".{self.path.name}.lock")), timeout=30)

    def _read(self) -> dict[str, Circuit]:
        if not self.path.exists():
            return {}
        return {k: Circuit(**v) for k, v in json.loads(self.path.read_text() or "{}").items()}

    def _write(self, circuits: dict[str, Circuit]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({k: asdict(v) for k, v in circuits.items()}, indent=1))
        os.replace(temporary, self.path)

    def states(self) -> dict[str, Circuit]:
        """Every known circuit."""
        with self._lock():
            return self._read()

    def blocked_until(self, dependency: str, now: datetime | None = None) -> datetime | None:
        """None when a call may go ahead (closed, or the half-open probe); else when to try again."""
        now = now or utc_now()
        with self._lock():
            circuits = self._read()
            circuit = circuits.get(dependency, Circuit())
            if circuit.state == CLOSED:
                return None
            retry_at = circuit.retry_at_time
            if circuit.state == OPEN and retry_at and now >= retry_at:
                circuit.state, circuit.retry_at = HALF_OPEN, (now + self.cooldown).isoformat()
                circuits[dependency] = circuit
                self._write(circuits)
                return None  # this caller is the probe
            return retry_at

    def record(self, dependency: str, ok: bool, now: datetime | None = None) -> Circuit:
        """Count a success (closes) or a failure (opens at the threshold, or when the probe fails)."""
        now = now or utc_now()
        with self._lock():
            circuits = self._read()
            circuit = circuits.get(dependency, Circuit())
            if ok and circuit == Circuit() and dependency in circuits:
                return circuit  # already closed and clean: no write on every successful file
            if ok:
                circuit = Circuit()
            else:
                circuit.failures += 1
                if circuit.state == HALF_OPEN or circuit.failures >= self.threshold:
                    circuit.state, circuit.retry_at = OPEN, (now + self.cooldown).isoformat()
            circuits[dependency] = circuit
            self._write(circuits)
            return circuit
