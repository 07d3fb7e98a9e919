"""Rich output of `workdata run`: per-domain summary tables and the failure-log link."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from workdata.core.inbox.survey import IgnoredEntry
from workdata.core.operations.run_summary import FAILED_STATUSES, RunSummary, summary_line
from workdata.core.records import FileStatus

# One style per status a file can reach; a status without one renders plain (never as broken markup).
STATUS_STYLE = {
    FileStatus.PENDING: "cyan",
    FileStatus.IN_PROGRESS: "cyan",
    FileStatus.SUCCESS: "green",
    FileStatus.PARTIAL: "yellow",
    FileStatus.FAILED: "bold red",
    FileStatus.SKIPPED: "dim",
    FileStatus.DEAD_LETTER: "bold magenta",
}


def console_for(as_json: bool = False, stderr: bool = False) -> Console:
    """A console for the CLI; without a terminal, tables are laid out wide instead of cut to 80 columns."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 240
    return Console(stderr=stderr, soft_wrap=as_json, width=width)


def styled_status(status: object) -> Text:
    """A file or run status as coloured text (no markup parsing, so any value is safe)."""
    text = str(status)
    return Text(text, style=STATUS_STYLE.get(text, "") or "")


def summary_table(domain: str, attempts: pd.DataFrame) -> Table:
    """One row per file of `domain`: status, rows loaded/failed and the top reason (one line)."""
    table = Table(title=domain, title_justify="left", expand=True)
    table.add_column("file", no_wrap=True, overflow="ellipsis", max_width=36)
    table.add_column("status", no_wrap=True)
    for name in ("rows", "loaded", "failed", "dropped"):  # rows = loaded + failed + dropped (not data)
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("top reason", no_wrap=True, overflow="ellipsis", ratio=1, min_width=20)
    for row in attempts.itertuples():
        table.add_row(
            Text(str(row.file_path)),
            styled_status(row.status),
            _count(row.rows_total),
            _count(row.rows_loaded),
            _count(row.rows_failed),
            _count(getattr(row, "rows_dropped", 0)),
            Text(str(row.top_reason)),
        )
    return table


def _count(value: object) -> str:
    return "-" if value is None or pd.isna(value) else f"{int(value):,}"


def print_summary(console: Console, attempts: pd.DataFrame, session: RunSummary, log_path: Path) -> None:
    """Print a table per domain, why files failed, the honest outcome and the failure-log link."""
    for domain, rows in attempts.groupby("domain", sort=True):
        console.print(summary_table(str(domain), rows))
    failed_files = attempts[attempts["status"].isin(FAILED_STATUSES)]
    if len(failed_files):
        console.print("[bold]Why files failed[/] (full detail in the file_state ledger and the Dagster UI):")
        for row in failed_files.itertuples():
            mark = "[magenta]✗ dead letter[/]" if row.status == FileStatus.DEAD_LETTER else "[red]✗[/]"
            console.print(f"  {mark} {escape(f'{row.domain}/{row.file_path}: {row.user_message}')}")
    style = {"SUCCESS": "bold green", "PARTIAL": "bold yellow", "FAILED": "bold red"}[session.status]
    console.print(
        f"[{style}]{session.status}[/]: {summary_line(session)}; {session.rows_loaded:,} rows loaded, "
        f"{session.rows_failed:,} rows captured as failures; {session.retryable_failed} of "
        f"{session.files_failed + session.files_dead_letter} failed file(s) retryable."
    )
    if session.rows_dropped:
        console.print(
            f"{session.rows_dropped:,} rows dropped as not data (blank, totals or repeated header rows); "
            "each is in the failure log as DROPPED_IN_PIPELINE."
        )
    for domain, file_path, sheet, why in session.skipped_sheets:
        console.print(Text(f"Sheet not read: {domain}/{file_path}, sheet {sheet!r}: {why}."))
    if log_path.exists():
        console.print(f"Saved failure log to [link={log_path.as_uri()}]{escape(str(log_path))}[/link]")


def print_ignored(console: Console, ignored: list[IgnoredEntry]) -> None:
    """The inbox entries that cannot be ingested, each with its reason."""
    if not ignored:
        return
    console.print(f"[bold yellow]Ignored inbox entries[/] ({len(ignored)}, not ingested):")
    for entry in ignored:
        console.print(Text(f"  - {entry.domain}/{entry.name!r}: {entry.reason}."))
