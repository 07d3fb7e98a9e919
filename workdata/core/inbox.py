"""The inbox: discover domain files safely, fingerprint them, and group pending keys into ranges."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.errors import UnsafePathError

# Partition keys may not hold these (Dagster's rule); such names are reported, never ingested.
_FORBIDDEN_IN_KEY = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".lock")


@dataclass(frozen=True)
class InboxFile:
    """One candidate file: its domain, partition key (path under inbox/<domain>) and fingerprint."""

    domain: str
    key: str
    path: Path
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        """Cheap change detector; the content hash is taken only when this changes."""
        return f"{self.size}:{self.mtime_ns}"


def scan_inbox(inbox_dir: Path, domains: Iterable[Domain], settle_seconds: float = 0.0) -> list[InboxFile]:
    """Every ingestible file under inbox/<domain>/, sorted by domain and key.

    A file modified in the last `settle_seconds` is left for a later scan: it may still be being written.
    """
    found: list[InboxFile] = []
    settled_before = time.time_ns() - int(settle_seconds * 1e9)
    for domain in domains:
        root = (inbox_dir / domain.name).resolve()
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            key = _key_for(root, path, domain)
            if key is not None:
                stat = path.stat()
                if stat.st_mtime_ns <= settled_before:
                    found.append(InboxFile(domain.name, key, path, stat.st_size, stat.st_mtime_ns))
    return found


def _key_for(root: Path, path: Path, domain: Domain) -> str | None:
    if not path.is_file() or path.name.startswith(".") or path.name.endswith(_TEMPORARY_SUFFIXES):
        return None
    if path.suffix.lower() not in domain.file_suffixes:
        return None
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        return None  # a symlink pointing out of the inbox is never followed
    key = path.relative_to(root).as_posix()
    return None if any(bad in key for bad in _FORBIDDEN_IN_KEY) else key


def resolve_in_inbox(inbox_dir: Path, domain: str, key: str) -> Path:
    """The file behind a partition key; refuses keys that would leave inbox/<domain>."""
    root = (inbox_dir / domain).resolve()
    path = (root / key).resolve()
    if not path.is_relative_to(root) or path == root:
        raise UnsafePathError(key, domain)
    return path


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of the file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def contiguous_ranges(
    ordered_keys: list[str],
    pending: set[str],
    max_size: int,
    sizes: Mapping[str, int] | None = None,
    max_bytes: int | None = None,
) -> list[list[str]]:
    """Pending keys as runs of neighbours in partition order, each at most `max_size` keys long and, when
    `sizes` are known, at most `max_bytes` in all (a larger file runs on its own)."""
    sizes = sizes or {}
    ranges: list[list[str]] = []
    current: list[str] = []
    used = 0
    for key in ordered_keys:
        size = sizes.get(key, 0)
        fits = len(current) < max_size and (max_bytes is None or not current or used + size <= max_bytes)
        if key in pending and fits:
            current.append(key)
            used += size
            continue
        if current:
            ranges.append(current)
        current, used = ([key], size) if key in pending else ([], 0)
    if current:
        ranges.append(current)
    return ranges
