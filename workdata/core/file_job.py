"""One inbox file to ingest, as one value: what the engine reads and what the commit records it under."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.outcome import RunContext
from workdata.core.policy import DomainPolicy


@dataclass(frozen=True)
class FileJob:
    """A file of `domain` at `path`, known by `key` (its path under inbox/<domain>/: partition key and
    ledger file_path), ingested by `run` under `policy`; its content hash and prior ledger row once read."""

    domain: Domain
    key: str
    path: Path
    run: RunContext
    policy: DomainPolicy
    reference_dir: Path | None = None
    file_hash: str | None = None
    state: dict | None = None  # the file's ledger row before this attempt (None: never seen)

    def hashed(self, file_hash: str, state: dict | None) -> FileJob:
        """This job once its content is hashed and its ledger row read."""
        return replace(self, file_hash=file_hash, state=state)
