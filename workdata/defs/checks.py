"""Asset checks of each domain asset, evaluated inside the ingest step over the run's files."""

from __future__ import annotations

import dagster as dg

from workdata.core.checks import failed_row_ratio
from workdata.core.invariants import reconciliation_violations
from workdata.core.outcome import FileOutcome
from workdata.core.policy import DomainPolicy
from workdata.core.store import Store

RATIO_CHECK = "failed_row_ratio"
RECONCILIATION_CHECK = "reconciliation"


def check_specs(asset_name: str) -> list[dg.AssetCheckSpec]:
    """The checks every domain asset carries."""
    return [
        dg.AssetCheckSpec(
            RATIO_CHECK,
            asset=asset_name,
            description="Share of rows that failed validation per file, against the domain's "
            "warn_bad_row_ratio (WARN) and max_bad_row_ratio (ERROR).",
        ),
        dg.AssetCheckSpec(
            RECONCILIATION_CHECK,
            asset=asset_name,
            description="For every file of the run: rows_total = rows loaded + rows with a failed "
            "record, and the warehouse holds exactly the loaded rows.",
        ),
    ]


def check_results(
    asset_name: str, outcomes: list[FileOutcome], policy: DomainPolicy, store: Store
) -> list[dg.AssetCheckResult]:
    """Both check results for the files this run processed."""
    ratio = failed_row_ratio(outcomes, policy)
    offenders = "\n".join(f"| {f} | {r:.2%} |" for f, r in ratio.offenders[:20])
    violations = reconciliation_violations(store, asset_name, {o.file_path for o in outcomes})
    return [
        dg.AssetCheckResult(
            asset_key=asset_name,
            check_name=RATIO_CHECK,
            passed=ratio.passed,
            severity=dg.AssetCheckSeverity(ratio.severity or "WARN"),
            metadata={
                "failed_ratio": dg.MetadataValue.float(round(ratio.ratio, 6)),
                "warn_bad_row_ratio": policy.warn_bad_row_ratio,
                "max_bad_row_ratio": policy.max_bad_row_ratio,
                "files_above_warn": dg.MetadataValue.md(
                    "| file | bad rows |\n| --- | ---: |\n" + offenders if offenders else "None."
                ),
            },
        ),
        dg.AssetCheckResult(
            asset_key=asset_name,
            check_name=RECONCILIATION_CHECK,
            passed=not violations,
            metadata={
                "files_checked": len(outcomes),
                "violations": dg.MetadataValue.md("\n".join(f"- {v}" for v in violations) or "None."),
            },
        ),
    ]
