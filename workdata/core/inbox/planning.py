"""Decide which inbox files need a run: new or changed content not yet in the ledger or in flight."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from workdata.core.domain import Domain
from workdata.core.inbox.survey import (
    IgnoredEntry,
    InboxFile,
    contiguous_ranges,
    file_sha256,
    survey_inbox,
    unreadable_fingerprint,
)


@dataclass(frozen=True)
class PendingFile:
    """An inbox file whose content (sha256) workdata has not processed yet."""

    file: InboxFile
    sha256: str

    @property
    def domain(self) -> str:
        """The file's domain."""
        return self.file.domain

    @property
    def key(self) -> str:
        """The file's partition key."""
        return self.file.key

    @property
    def size(self) -> int:
        """The file's size in bytes, as scanned."""
        return self.file.size


class Plannable(Protocol):
    """Anything that names a file of a domain and its content hash."""

    domain: str
    key: str
    sha256: str


def hash_with_cache(
    files: Iterable[InboxFile], cache: Mapping[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """(fingerprint, sha256) per 'domain/key'; files whose fingerprint is unchanged are not re-read."""
    hashed: dict[str, tuple[str, str]] = {}
    for f in files:
        name = f"{f.domain}/{f.key}"
        cached = cache.get(name)
        if cached and cached[0] == f.fingerprint:
            hashed[name] = (cached[0], cached[1])
            continue
        try:
            hashed[name] = (f.fingerprint, file_sha256(f.path))
        except FileNotFoundError:
            continue  # vanished between scan and hash: the next scan decides
        except OSError:
            # May not be read: still a partition, whose run records why (FAILED, auth), never silence.
            try:
                hashed[name] = (f.fingerprint, unreadable_fingerprint(f.path))
            except OSError:
                continue
    return hashed


def pending_files(
    files: Iterable[InboxFile],
    hashes: Mapping[str, tuple[str, str]],
    processed: Mapping[tuple[str, str], str],
    in_flight: Mapping[str, str] | None = None,
) -> list[PendingFile]:
    """Files whose current hash differs from the ledger's and from any run already requested."""
    in_flight = in_flight or {}
    pending = []
    for f in files:
        name = f"{f.domain}/{f.key}"
        if name not in hashes:
            continue
        sha = hashes[name][1]
        if processed.get((f.domain, f.key)) != sha and in_flight.get(name) != sha:
            pending.append(PendingFile(f, sha))
    return pending


@dataclass(frozen=True)
class RunPlan:
    """One run to request: neighbouring partition keys of one domain and their content hashes."""

    domain: str
    keys: tuple[str, ...]
    hashes: tuple[str, ...]

    @property
    def run_key(self) -> str:
        """Deterministic: the same files with the same content never launch twice."""
        digest = hashlib.sha256("\n".join([self.domain, *self.keys, *self.hashes]).encode())
        return f"{self.domain}:{digest.hexdigest()[:24]}"


def plan_runs(
    pending: Sequence[Plannable],
    existing: Mapping[str, Sequence[str]],
    max_files: int,
    max_bytes: int | None = None,
) -> tuple[dict[str, list[str]], list[RunPlan]]:
    """New partition keys to add per domain, and ranged runs covering every pending file (at most
    `max_files` files and, for files whose size is known, `max_bytes` bytes a run)."""
    new_keys: dict[str, list[str]] = {}
    plans: list[RunPlan] = []
    for domain in sorted({p.domain for p in pending}):
        mine = {p.key: p.sha256 for p in pending if p.domain == domain}
        known = list(existing.get(domain, ()))
        known_set = set(known)
        new_keys[domain] = sorted(k for k in mine if k not in known_set)
        order = known + new_keys[domain]
        # Retried files come from the ledger, which keeps no size: they are capped by count only.
        sizes = {p.key: p.size for p in pending if p.domain == domain and isinstance(p, PendingFile)}
        for keys in contiguous_ranges(order, set(mine), max_files, sizes, max_bytes):
            plans.append(RunPlan(domain, tuple(keys), tuple(mine[k] for k in keys)))
    return new_keys, plans


def discover_pending(
    inbox_dir: Path,
    domains: Iterable[Domain],
    processed: Mapping[tuple[str, str], str],
    hash_cache: Mapping[str, tuple[str, str]] | None = None,
    in_flight: Mapping[str, str] | None = None,
    settle_seconds: float = 0.0,
) -> tuple[dict[str, tuple[str, str]], list[PendingFile], list[IgnoredEntry]]:
    """Look at the inbox, hash what changed, and return (hashes by 'domain/key', pending files, entries
    that cannot be ingested, with their reasons)."""
    survey = survey_inbox(inbox_dir, domains, settle_seconds)
    hashes = hash_with_cache(survey.files, hash_cache or {})
    return hashes, pending_files(survey.files, hashes, processed, in_flight), survey.ignored


class HashCache:
    """Content hashes of inbox files by fingerprint, kept in a file between sensor ticks (a file, not the
    sensor's cursor: the cursor stays a few lines however many files the inbox holds)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, tuple[str, str]]:
        """'domain/key' -> (fingerprint, sha256); empty when missing or unreadable (hashes are redone)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {name: (pair[0], pair[1]) for name, pair in data.items() if len(pair) == 2}

    def save(self, hashes: Mapping[str, tuple[str, str]]) -> None:
        """Replace the cache (written aside and renamed, so a reader never sees half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staged = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        staged.write_text(json.dumps(dict(hashes), ensure_ascii=False), encoding="utf-8")
        os.replace(staged, self.path)
