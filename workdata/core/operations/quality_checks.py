"""Data-quality checks over a domain's current files (the ledger), against the domain's thresholds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workdata.core.policy import DomainPolicy
from workdata.core.storage.store import Store


@dataclass(frozen=True)
class RatioCheck:
    """Result of the failed-row-ratio check: severity is None when it passed."""

    severity: str | None
    ratio: float
    offenders: tuple[tuple[str, float], ...]

    @property
    def passed(self) -> bool:
        """True when no file is above the warning threshold."""
        return self.severity is None


@dataclass(frozen=True)
class FileRows:
    """A file's row counts as the ledger holds them (rows_total less the rows dropped as not data)."""

    file_path: str
    rows_total: int
    rows_failed: int


def current_files(store: Store, domain: str) -> list[FileRows]:
    """Every file of `domain` whose rows were judged (loaded, partial, or rejected for its bad rows)."""
    with store.connect() as conn:
        rows = conn.execute(
            # Rows dropped on purpose (blank, totals) are not data: the ratio is over the rows judged.
            "SELECT file_path, rows_total - coalesce(rows_dropped, 0), rows_failed FROM file_state "
            "WHERE domain = ? AND status IN ('SUCCESS', 'PARTIAL', 'FAILED') "
            "AND rows_total - coalesce(rows_dropped, 0) > 0",
            [domain],
        ).fetchall()
    return [FileRows(path, int(total), int(failed or 0)) for path, total, failed in rows]


def failed_row_ratio(files: Iterable[FileRows], policy: DomainPolicy) -> RatioCheck:
    """WARN when a file's bad-row ratio is above warn_bad_row_ratio, ERROR above max_bad_row_ratio."""
    counted = [f for f in files if f.rows_total]
    ratios = [(f.file_path, f.rows_failed / f.rows_total) for f in counted]
    total = sum(f.rows_total for f in counted)
    overall = sum(f.rows_failed for f in counted) / total if total else 0.0
    offenders = tuple(
        sorted(((f, r) for f, r in ratios if r > policy.warn_bad_row_ratio), key=lambda item: -item[1])
    )
    if any(r > policy.max_bad_row_ratio for _, r in offenders):
        return RatioCheck("ERROR", overall, offenders)
    return RatioCheck("WARN" if offenders else None, overall, offenders)
