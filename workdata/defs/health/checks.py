"""Asset checks of each domain asset, evaluated inside the ingest step over the run's files."""

from __future__ import annotations

import dagster as dg

from workdata.core.operations.file_facts import failed_file_facts
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.operations.quality_checks import current_files, failed_row_ratio
from workdata.core.outcome import FileOutcome
from workdata.core.policy import DomainPolicy
from workdata.core.storage.ledger_reads import FailingFiles, failing_files
from workdata.core.storage.store import Store
from workdata.defs.recovery.launchpad import action_link

RATIO_CHECK = "failed_row_ratio"
RECONCILIATION_CHECK = "reconciliation"
FAILING_FILES_CHECK = "failing_files"
ACTION_LINKS = 20  # the rest are in the table, with the command to run


def check_specs(asset_name: str) -> list[dg.AssetCheckSpec]:
    """The checks every domain asset carries."""
    return [
        dg.AssetCheckSpec(
            RATIO_CHECK,
            asset=asset_name,
            description="Share of rows that failed validation in each of the domain's current files (the "
            "ledger), against its warn_bad_row_ratio (WARN) and max_bad_row_ratio (ERROR).",
        ),
        dg.AssetCheckSpec(
            FAILING_FILES_CHECK,
            asset=asset_name,
            description="ERROR while any file of the domain is FAILED or DEAD_LETTER (the ledger, now): "
            "which, why, when retried, what to do.",
        ),
        dg.AssetCheckSpec(
            RECONCILIATION_CHECK,
            asset=asset_name,
            description="For every file of the run: rows_total = rows loaded + rows with a failed "
            "record, and the warehouse holds exactly the loaded rows.",
        ),
    ]


def check_results(
    asset_name: str, outcomes: list[FileOutcome], policy: DomainPolicy, store: Store, max_attempts: int
) -> list[dg.AssetCheckResult]:
    """The check results: the ratio and reconciliation over the files this run processed, the failing
    files over the whole ledger."""
    # The ratio describes the domain's files now, not only this run's (a run that loaded nothing, or
    # skipped everything, never turns a standing WARN into "passed").
    ratio = failed_row_ratio(current_files(store, asset_name), policy)
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
        failing_files_result(asset_name, failing_files(store, asset_name), max_attempts),
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


_FAILING_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("file", "string"),
        dg.TableColumn("status", "string"),
        dg.TableColumn("category", "string"),
        dg.TableColumn("why", "string", description="The file's one-sentence reason"),
        dg.TableColumn("next_retry", "string", description="Whether and when it is tried again"),
        dg.TableColumn("what_to_do", "string"),
    ]
)


def failing_files_result(asset_name: str, failing: FailingFiles, max_attempts: int) -> dg.AssetCheckResult:
    """The failing-files check: red (ERROR) while the ledger holds a FAILED or DEAD_LETTER file; its
    table answers which files, why, whether and when they are retried, and what to do."""
    rows = []
    for state in failing.states:
        facts = failed_file_facts(asset_name, state, max_attempts)
        rows.append(
            dg.TableRecord(
                {
                    "file": str(state["file_path"]),
                    "status": facts.status,
                    "category": facts.category,
                    "why": facts.reason,
                    "next_retry": facts.next_retry,
                    "what_to_do": facts.action,
                }
            )
        )
    metadata: dict[str, dg.MetadataValue] = {
        "failing_files": dg.MetadataValue.int(failing.count),
        "failed": dg.MetadataValue.int(failing.failed),
        "dead_letter": dg.MetadataValue.int(failing.dead_letter),
        "top_category": dg.MetadataValue.text(failing.top_category or "-"),
        "files": dg.MetadataValue.table(rows, schema=_FAILING_SCHEMA),
    }
    if failing.last_failure_at is not None:
        metadata["last_failure"] = dg.MetadataValue.timestamp(failing.last_failure_at)
    # One link per file that has a one-click action: its recovery job's Launchpad, filled in for it.
    links = [
        (link, state["file_path"]) for state in failing.states if (link := action_link(asset_name, state))
    ]
    for (label, url), file_path in links[:ACTION_LINKS]:
        metadata[f"{label}: {file_path}"] = dg.MetadataValue.url(url)
    return dg.AssetCheckResult(
        asset_key=asset_name,
        check_name=FAILING_FILES_CHECK,
        passed=failing.count == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{failing.count} failing file(s)" if failing.count else "No failing files.",
        metadata=metadata,
    )
