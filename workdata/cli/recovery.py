"""Recovery commands: retry, release, clear, stats, verify, replay."""

from __future__ import annotations

import json
import uuid

from rich.console import Console

from workdata.app import load_settings
from workdata.core.operations.recovery import clear, due_retries, release, stats
from workdata.core.operations.replay import replay
from workdata.core.operations.verify import verify
from workdata.core.session import utc_now
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.circuit import circuit_breakers
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS


def retry_now(console: Console, settings: WorkdataSettings, store: Store, filters: dict) -> int:
    """Run the matching FAILED files now, ignoring backoff (not the cap); the outcome's exit code."""
    from workdata.cli.run import ingest_files
    from workdata.defs.automation.retry_sensor import RETRY_TAG

    due = due_retries(
        store, utc_now(), settings.retry.max_attempts, ignore_backoff=True, only_retryable=False, **filters
    )
    if not due:
        console.print("No FAILED files under the attempt cap match; nothing to retry.")
        return 0
    console.print(f"Retrying {len(due)} file(s) now.")
    return ingest_files(console, settings, store, due, {RETRY_TAG: "true"})


def release_file(console: Console, store: Store, name: str) -> int:
    """DEAD_LETTER -> PENDING for 'domain/file'."""
    domain, _, key = name.partition("/")
    if domain not in DOMAINS or not key:
        console.print(f"[red]Name the file as <domain>/<file>, e.g. annuity_income/{key or 'x.csv'}.")
        return 2
    if not release(store, domain, key):
        console.print(f"{name} is not in the dead letter; nothing released.")
        return 1
    console.print(
        f"Released {name}: it is PENDING and the next `workdata run` or inbox sensor tick ingests it."
    )
    return 0


def clear_entries(console: Console, store: Store, statuses: list[str], yes: bool) -> int:
    """Forget ledger rows with the given statuses (asks for --yes)."""
    if not yes:
        console.print(
            f"This forgets every ledger entry with status {', '.join(statuses)}; add --yes to do it."
        )
        return 2
    console.print(f"Forgot {clear(store, statuses)} ledger entr(ies); those files count as new again.")
    return 0


def show_stats(console: Console, store: Store, as_json: bool) -> int:
    """Counts by status and category, failure and retry-success rates, stuck files, open circuits."""
    figures = stats(store) | {"circuits": circuit_states(load_settings())}
    if as_json:
        console.print_json(json.dumps(figures, default=str))
        return 0
    console.print("[bold]Files by status:[/] " + _pairs(figures["files_by_status"]))
    console.print("[bold]Failures by category:[/] " + (_pairs(figures["failures_by_category"]) or "none"))
    console.print(f"[bold]Row failure rate:[/] {figures['row_failure_rate']:.2%} of rows in loaded files")
    rate = figures["retry_success_rate"]
    console.print(
        f"[bold]Retried files:[/] {figures['files_retried']}"
        + (f", {rate:.0%} of them recovered" if rate is not None else "")
    )
    console.print("[bold]Stuck files:[/] " + (", ".join(figures["files_stuck"]) or "none"))
    console.print("[bold]Circuits:[/] " + (_pairs(figures["circuits"]) or "all closed"))
    return 0


def circuit_states(settings: WorkdataSettings) -> dict[str, str]:
    """Each known dependency's breaker state, with when it lets a probe through."""
    now = utc_now()
    return {dep: c.describe(now) for dep, c in circuit_breakers(settings).states().items()}


def _pairs(mapping: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in mapping.items())


def run_verify(console: Console, settings: WorkdataSettings, store: Store) -> int:
    """Check every invariant; exit 1 with the list of violations."""
    report = verify(store, settings.inbox_dir, DOMAINS.values(), settings.retry.max_attempts)
    for note in report.notes:
        console.print(f"[dim]note:[/] {note}")
    for violation in report.violations:
        console.print(f"[red]violation:[/] {violation}")
    if report.violations:
        console.print(f"[bold red]{len(report.violations)} invariant violation(s).")
        return 1
    console.print(
        "[green]All invariants hold[/] (reconciliation, idempotence, atomicity, no silent loss, "
        "retry discipline)."
    )
    return 0


def run_replay(
    console: Console,
    settings: WorkdataSettings,
    store: Store,
    domain: str | None,
    session_id: str | None,
    error_type: str | None,
) -> int:
    """Re-validate stored failed rows and load those that now pass."""
    run_id = f"replay-{uuid.uuid4()}"
    total = loaded = 0
    for name in [domain] if domain else list(DOMAINS):
        for result in replay(
            store, DOMAINS[name], settings.reference_dir, run_id, session_id=session_id, error_type=error_type
        ):
            total, loaded = total + result.candidates, loaded + result.loaded
            if result.loaded:
                console.print(
                    f"{result.domain}/{result.file_path}: {result.loaded} of {result.candidates} rows loaded"
                )
    console.print(
        f"Replayed {total} failed row(s): {loaded} now pass and are loaded, {total - loaded} stay failed."
    )
    return 0
