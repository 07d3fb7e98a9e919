"""One ingestion per file at a time: claims that processes on one home take before touching a file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock, Timeout


class FileClaims:
    """Per-file OS locks under `folder`: a claim held by a live process makes others skip the file, and a
    claim dies with its process (the kernel drops the lock), so nothing has to expire by the clock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def take(self, domain: str, keys: Iterable[str]) -> tuple[dict[str, FileLock | None], list[str]]:
        """Claim what is free of `keys`: (held locks by key, keys another run holds)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        held: dict[str, FileLock | None] = {}
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
        digest = hashlib.sha256(f"{domain}/{key}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return self.folder / f"{digest}.lock"


def release(held: dict[str, FileLock | None]) -> None:
    """Release every claim in `held` (None stands for a file processed without claims)."""
    for lock in held.values():
        if lock is not None:
            lock.release()
