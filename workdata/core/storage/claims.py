"""One ingestion per file at a time: claims that processes take before touching a file, as OS locks under
one home (one machine) or as the store's server locks (every machine on the same PostgreSQL store)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from workdata.core.errors import WarehouseError
from workdata.core.storage.duckdb_connection import Connector


class Claim(Protocol):
    """A held claim on one file."""

    def release(self) -> None:
        """Give the file back."""


class Claims(Protocol):
    """Where claims are taken: every process that may ingest a file must take them in the same place."""

    def take(self, domain: str, keys: Iterable[str]) -> tuple[dict[str, Claim | None], list[str]]:
        """Claim what is free of `keys`: (held claims by key, keys another run holds)."""


class FileClaims:
    """Per-file OS locks under `folder`: a claim held by a live process makes others skip the file, and a
    claim dies with its process (the kernel drops the lock), so nothing has to expire by the clock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def take(self, domain: str, keys: Iterable[str]) -> tuple[dict[str, Claim | None], list[str]]:
        """Claim what is free of `keys`: (held locks by key, keys another run holds)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        held: dict[str, Claim | None] = {}
        busy: list[str] = []
        for key in keys:
            lock = FileLock(self._path(domain, key), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                busy.append(key)
                continue
            held[key] = lock
        return held, busy

    def _path(self, domain: str, key: str) -> Path:
        # Hostile names never reach the file system: the lock is named by a digest of domain and key.
        return self.folder / f"{_digest(domain, key).hex()[:32]}.lock"


class ServerClaims:
    """Per-file session advisory locks on the store's PostgreSQL server: a claim taken on one machine is
    seen on every other, and dies with its holder's connection (a killed worker's TCP connection closes and
    the server drops its locks), so nothing has to expire by the clock."""

    def __init__(self, connect: Connector) -> None:
        self.connect = connect

    def take(self, domain: str, keys: Iterable[str]) -> tuple[dict[str, Claim | None], list[str]]:
        """Claim what is free of `keys` on one connection, kept open until the last of them is released."""
        keys = list(keys)
        try:
            session = _ServerSession(self.connect)
        except WarehouseError:
            # The server is out of reach: nothing can be committed either. Each file goes on unclaimed and
            # fails at the store, classified and counted by the circuit breaker, as without claims.
            return dict.fromkeys(keys), []
        held: dict[str, Claim | None] = {}
        busy: list[str] = []
        try:
            # Advisory locks span the database: the schema (one store each) is part of the lock's name.
            schema = session.schema()
            for key in keys:
                claim = session.try_lock(_lock_id(f"{schema}/{domain}", key))
                if claim is None:
                    busy.append(key)
                else:
                    held[key] = claim
        except WarehouseError:
            session.close()  # the connection broke: its locks are gone; go on unclaimed, as above
            return dict.fromkeys(keys), []
        except BaseException:
            session.close()  # closing the connection drops every lock it took
            raise
        session.close_when_done()
        return held, busy


class _ServerSession:
    """One connection holding some advisory locks; closed once none is held (closing drops them all)."""

    def __init__(self, connect: Connector) -> None:
        self._stack = ExitStack()
        self._conn = self._stack.enter_context(connect())
        self._held = 0

    def schema(self) -> str:
        return str(self._conn.execute("SELECT current_schema()").fetchone()[0])

    def try_lock(self, lock_id: int) -> Claim | None:
        if not self._conn.execute("SELECT pg_try_advisory_lock(?)", [lock_id]).fetchone()[0]:
            return None
        self._held += 1
        return _ServerClaim(self, lock_id)

    def unlock(self, lock_id: int) -> None:
        try:
            self._conn.execute("SELECT pg_advisory_unlock(?)", [lock_id])
        except WarehouseError:
            pass  # the connection is gone, and every lock it held with it
        finally:
            self._held -= 1
            self.close_when_done()

    def close_when_done(self) -> None:
        if self._held <= 0:
            self.close()

    def close(self) -> None:
        self._stack.close()


class _ServerClaim:
    def __init__(self, session: _ServerSession, lock_id: int) -> None:
        self._session, self._lock_id = session, lock_id

    def release(self) -> None:
        """Give the file back (the connection closes with the last claim)."""
        self._session.unlock(self._lock_id)


def _digest(domain: str, key: str) -> bytes:
    return hashlib.sha256(f"{domain}/{key}".encode("utf-8", "surrogateescape")).digest()


def _lock_id(domain: str, key: str) -> int:
    # A signed 64-bit advisory lock key; a collision (2^-64 a pair) would only make a run skip a file.
    return int.from_bytes(_digest(domain, key)[:8], "big", signed=True)


def release(held: dict[str, Claim | None]) -> None:
    """Release every claim in `held` (None stands for a file processed without claims)."""
    for lock in held.values():
        if lock is not None:
            lock.release()
