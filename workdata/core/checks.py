"""Data-quality checks over the files of one run, against the domain's thresholds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workdata.core.outcome import FileOutcome
from workdata.core.policy import DomainPolicy
from workdata.core.records import FileStatus


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


def failed_row_ratio(outcomes: Iterable[FileOutcome], policy: DomainPolicy) -> RatioCheck:
    """WARN when a file's bad-row ratio is above warn_bad_row_ratio, ERROR above max_bad_row_ratio."""
    processed = [o for o in outcomes if o.status is not FileStatus.SKIPPED and o.rows_total]
    ratios = [(o.file_path, o.rows_failed / o.rows_total) for o in processed]
    total = sum(o.rows_total for o in processed)
    overall = sum(o.rows_failed for o in processed) / total if total else 0.0
    offenders = tuple(
        sorted(((f, r) for f, r in ratios if r > policy.warn_bad_row_ratio), key=lambda item: -item[1])
    )
    if any(r > policy.max_bad_row_ratio for _, r in offenders):
        return RatioCheck("ERROR", overall, offenders)
    return RatioCheck("WARN" if offenders else None, overall, offenders)
