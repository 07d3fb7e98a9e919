"""Circuit breakers per dependency, kept outside the warehouse (so they work while it is down): in a JSON
file for the processes of one machine, or in Redis for a deployment over several."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from workdata.core.session import utc_now
from workdata.core.settings import WorkdataSettings

log = logging.getLogger(__name__)

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

    def probe_due(self, now: datetime) -> bool:
        """An open circuit whose cool-down is over, or a half-open one whose probe never reported back."""
        retry_at = self.retry_at_time
        return self.state != CLOSED and (retry_at is None or now >= retry_at)

    def describe(self, now: datetime) -> str:
        """The state in words for operators; never an "until" that has already passed."""
        if self.state == CLOSED:
            return "closed"
        if self.probe_due(now):
            return "cool-down over: the next file that needs it probes it"
        until = self.retry_at_time.isoformat(timespec="seconds") if self.retry_at_time else "?"
        if self.state == HALF_OPEN:
            return f"half-open: a probe is running (given up on at {until})"
        return f"open until {until}"


class CircuitState(Protocol):
    """Where the breakers' state is kept; every process that calls the dependencies must share it."""

    def locked(self) -> AbstractContextManager[object]:
        """Hold the state against other processes while it is read and written."""

    def read(self) -> dict[str, Circuit]:
        """Every known circuit."""

    def write(self, circuits: dict[str, Circuit]) -> None:
        """Replace every circuit."""


class FileCircuitState:
    """A JSON file under a file lock: the processes of one machine (it survives a broken warehouse)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def locked(self) -> FileLock:
        """The file's lock."""
        return FileLock(str(self.path.with_name(f".{self.path.name}.lock")), timeout=30)

    def read(self) -> dict[str, Circuit]:
        """Every known circuit."""
        if not self.path.exists():
            return {}
        return {k: Circuit(**v) for k, v in json.loads(self.path.read_text() or "{}").items()}

    def write(self, circuits: dict[str, Circuit]) -> None:
        """Replace every circuit (written aside, then moved into place)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({k: asdict(v) for k, v in circuits.items()}, indent=1))
        os.replace(temporary, self.path)


class RedisCircuitState:
    """One Redis key under a Redis lock: every machine of a deployment sees the same breakers, and they
    survive a broken warehouse (Redis is not the store). Redis out of reach: every circuit reads closed
    and nothing is written (logged), so files are still tried; a breaker never stops the pipeline."""

    def __init__(self, url: str, key: str) -> None:
        import redis  # only a deployment that shares breakers through Redis needs the client

        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        self.key = key
        self._faults = (redis.RedisError, OSError)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """A lock held in Redis (it expires if its holder dies before releasing it)."""
        lock = self.client.lock(f"{self.key}:lock", timeout=30, blocking_timeout=30)
        try:
            acquired = lock.acquire()
        except self._faults:
            log.warning("workdata: Redis is out of reach; circuit breakers read closed", exc_info=True)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                try:
                    lock.release()
                except self._faults:
                    pass  # it expires by itself

    def read(self) -> dict[str, Circuit]:
        """Every known circuit (none when Redis is out of reach)."""
        try:
            raw = self.client.get(self.key)
        except self._faults:
            return {}
        return {k: Circuit(**v) for k, v in json.loads(raw or "{}").items()}

    def write(self, circuits: dict[str, Circuit]) -> None:
        """Replace every circuit (nothing when Redis is out of reach)."""
        try:
            self.client.set(self.key, json.dumps({k: asdict(v) for k, v in circuits.items()}))
        except self._faults:
            log.warning("workdata: Redis is out of reach; circuit state not saved", exc_info=True)


class CircuitBreakers:
    """Open after `threshold` consecutive failures; after `cooldown`, one probe decides (half-open)."""

    def __init__(
        self, state: CircuitState, threshold: int = 3, cooldown: timedelta = timedelta(minutes=5)
    ) -> None:
        self.state = state
        self.threshold = threshold
        self.cooldown = cooldown

    def _lock(self) -> AbstractContextManager[object]:
        return self.state.locked()

    def _read(self) -> dict[str, Circuit]:
        return self.state.read()

    def _write(self, circuits: dict[str, Circuit]) -> None:
        self.state.write(circuits)

    def states(self) -> dict[str, Circuit]:
        """Every known circuit."""
        with self._lock():
            return self._read()

    def blocked_until(self, dependency: str, now: datetime | None = None) -> datetime | None:
        """None when a call may go ahead (closed, or the half-open probe); else when to try again."""
        blocked = self.first_blocked([dependency], now)
        return blocked[1] if blocked else None

    def first_blocked(
        self,
        dependencies: list[str],
        now: datetime | None = None,
        *,
        probes: set[str] | None = None,
        force_probe: bool = False,
    ) -> tuple[str, datetime] | None:
        """The first of `dependencies` that may not be called now, and until when (one read for all).

        An open circuit whose cool-down is over (or any open one, with `force_probe`: an operator's
        explicit retry) turns half-open and lets this caller through as the probe; the dependencies this
        caller probes are added to `probes`.
        """
        now = now or utc_now()
        with self._lock():
            circuits = self._read()
            for dependency in dependencies:
                circuit = circuits.get(dependency, Circuit())
                if circuit.state == CLOSED:
                    continue
                if circuit.probe_due(now) or (force_probe and circuit.state == OPEN):
                    circuit.state, circuit.retry_at = HALF_OPEN, (now + self.cooldown).isoformat()
                    circuits[dependency] = circuit
                    self._write(circuits)
                    if probes is not None:
                        probes.add(dependency)
                    continue  # this caller is the probe
                return dependency, circuit.retry_at_time or now + self.cooldown
            return None

    def probe_now(self, dependencies: list[str], now: datetime | None = None) -> list[str]:
        """An operator asked to retry now: end the cool-down of these open circuits (the next file that
        needs one probes it). Returns the dependencies whose cool-down was cut short."""
        now = now or utc_now()
        with self._lock():
            circuits = self._read()
            cut = [d for d in dependencies if d in circuits and circuits[d].state != CLOSED]
            for dependency in cut:
                circuits[dependency].retry_at = now.isoformat()
            if cut:
                self._write(circuits)
            return cut

    def record_success(self, dependencies: list[str]) -> None:
        """Close these circuits; nothing is written when they are all closed and clean already."""
        with self._lock():
            circuits = self._read()
            if all(circuits.get(d) == Circuit() for d in dependencies):
                return
            circuits.update({d: Circuit() for d in dependencies})
            self._write(circuits)

    def record(self, dependency: str, ok: bool, now: datetime | None = None) -> Circuit:
        """Count a success (closes) or a failure (opens at the threshold, or when the probe fails)."""
        now = now or utc_now()
        with self._lock():
            circuits = self._read()
            circuit = circuits.get(dependency, Circuit())
            if ok:
                circuit = Circuit()
            else:
                circuit.failures += 1
                if circuit.state == HALF_OPEN or circuit.failures >= self.threshold:
                    circuit.state, circuit.retry_at = OPEN, (now + self.cooldown).isoformat()
            circuits[dependency] = circuit
            self._write(circuits)
            return circuit


def circuit_breakers(settings: WorkdataSettings) -> CircuitBreakers:
    """The circuit breakers configured by `settings`: in Redis when `circuits_url` names it (shared by
    every machine of the deployment), else in a file under the home."""
    if settings.circuits_url:
        # One key per store: every machine writing the same store shares its breakers.
        store = settings.store_url or str(settings.duckdb_path)
        key = "workdata:circuits:" + hashlib.sha256(store.encode()).hexdigest()[:16]
        state: CircuitState = RedisCircuitState(settings.circuits_url, key)
    else:
        state = FileCircuitState(settings.circuits_path)
    return CircuitBreakers(
        state, settings.circuit_threshold, timedelta(seconds=settings.circuit_cooldown_seconds)
    )
