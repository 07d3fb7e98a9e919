"""The inbox: discover domain files safely, fingerprint them, and group pending keys into ranges."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.errors import UnsafePathError

# Partition keys may not hold these (Dagster's rule); such names are reported as ignored, never ingested.
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


@dataclass(frozen=True)
class IgnoredEntry:
    """An inbox entry that cannot be a partition, and why (reported, never silently dropped)."""

    domain: str
    name: str
    reason: str
    # Hidden and still-being-written files are conventions, not problems: reported, but no failure.
    expected: bool = False


@dataclass(frozen=True)
class InboxSurvey:
    """What one look at the inbox found: the files to ingest and the entries it cannot ingest."""

    files: list[InboxFile]
    ignored: list[IgnoredEntry]

    @property
    def problems(self) -> list[IgnoredEntry]:
        """Ignored entries that an operator must act on (bad names, links out, pipes, folders)."""
        return [entry for entry in self.ignored if not entry.expected]


def survey_inbox(inbox_dir: Path, domains: Iterable[Domain], settle_seconds: float = 0.0) -> InboxSurvey:
    """Every entry under inbox/<domain>/: the ingestible files (sorted by domain and key) and, with a
    reason, the rest. A file modified in the last `settle_seconds` is left for a later look."""
    found: list[InboxFile] = []
    ignored: list[IgnoredEntry] = []
    settled_before = time.time_ns() - int(settle_seconds * 1e9)
    for domain in domains:
        root = (inbox_dir / domain.name).resolve()
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root).as_posix()
            reason = _why_not(root, path, name)
            if reason is not None:
                if reason:
                    expected = reason in (_HIDDEN, _TEMPORARY)
                    ignored.append(IgnoredEntry(domain.name, name, reason, expected))
                continue
            try:
                stat = path.stat()
            except OSError:
                continue  # gone since the listing: the next look decides
            if stat.st_mtime_ns <= settled_before:
                found.append(InboxFile(domain.name, name, path, stat.st_size, stat.st_mtime_ns))
    return InboxSurvey(found, ignored)


def scan_inbox(inbox_dir: Path, domains: Iterable[Domain], settle_seconds: float = 0.0) -> list[InboxFile]:
    """Every ingestible file under inbox/<domain>/, sorted by domain and key."""
    return survey_inbox(inbox_dir, domains, settle_seconds).files


_HIDDEN = "a hidden file (its name starts with '.'); not ingested"
_TEMPORARY = "still being written (a temporary name); ingested once renamed"


def _why_not(root: Path, path: Path, name: str) -> str | None:
    """None for an ingestible file; '' for an entry with nothing to say (a plain folder); else why not."""
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            return "a link to nothing (dangling); not ingested"
        if not target.is_relative_to(root):
            return "a link pointing outside the inbox; links out are never followed"
    if path.is_dir():
        is_data_like = path.suffix.lower() in _DATA_SUFFIXES
        return (
            "a folder named like a data file; only files are ingested (its files are)" if is_data_like else ""
        )
    if not path.is_file():
        return "not a regular file (a pipe, socket or device); not ingested"
    if path.name.startswith("."):
        return _HIDDEN
    if path.name.endswith(_TEMPORARY_SUFFIXES):
        return _TEMPORARY
    if any(bad in name for bad in _FORBIDDEN_IN_KEY):
        return (
            "its name holds a tab, line break, '...' or another character a partition key cannot hold; "
            "rename it"
        )
    return None


_DATA_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet", ".xlsx", ".xls", ".xlsm", ".txt", ".gz", ".zip")


def unreadable_fingerprint(path: Path) -> str:
    """A stand-in content hash for a file that may not be read: stable until it changes or its permissions
    do (then it is pending again)."""
    stat = path.stat()
    return f"unreadable:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_mode:o}"


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
