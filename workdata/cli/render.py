"""Rich output of `workdata run`: per-domain summary tables and the failure-log link."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from workdata.core.run_summary import RunSummary, summary_line

_STYLE = {"SUCCESS": "green", "PARTIAL": "yellow", "FAILED": "bold red", "SKIPPED": "dim"}


def summary_table(domain: str, attempts: pd.DataFrame) -> Table:
    """One row per file of `domain`: status, rows loaded/failed and the top reason (one line)."""
    table = Table(title=domain, title_justify="left", expand=True)
    table.add_column("file", no_wrap=True, overflow="ellipsis", max_width=36)
    table.add_column("status", no_wrap=True)
    for name in ("rows", "loaded", "failed"):  # rows = loaded + failed
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("top reason", no_wrap=True, overflow="ellipsis", ratio=1, min_width=20)
    for row in attempts.itertuples():
        status = str(row.status)
        table.add_row(
            row.file_path,
            f"[{_STYLE.get(status, '')}]{status}[/]",
            _count(row.rows_total),
            _count(row.rows_loaded),
            _count(row.rows_failed),
            row.top_reason,
        )
    return table


def _count(value: object) -> str:
    return "-" if value is None or pd.isna(value) else f"{int(value):,}"


def print_summary(console: Console, attempts: pd.DataFrame, session: RunSummary, log_path: Path) -> None:
    """Print a table per domain, why files failed, the honest outcome and the failure-log link."""
    for domain, rows in attempts.groupby("domain", sort=True):
        console.print(summary_table(str(domain), rows))
    failed_files = attempts[attempts["status"] == "FAILED"]
    if len(failed_files):
        console.print("[bold]Why files failed[/] (full detail in the file_state ledger and the Dagster UI):")
        for row in failed_files.itertuples():
            console.print(f"  [red]✗[/] {row.domain}/{row.file_path}: {row.user_message}")
    style = {"SUCCESS": "bold green", "PARTIAL": "bold yellow", "FAILED": "bold red"}[session.status]
    console.print(
        f"[{style}]{session.status}[/]: {summary_line(session)}; {session.rows_loaded:,} rows loaded, "
        f"{session.rows_failed:,} rows captured as failures; {session.retryable_failed} of "
        f"{session.files_failed} failed file(s) retryable."
    )
    if log_path.exists():
        console.print(f"Saved failure log to [link={log_path.as_uri()}]{log_path}[/link]")
