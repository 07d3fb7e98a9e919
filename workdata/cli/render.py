"""Rich output of `workdata run`: per-file summary table and the failure-log link."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

_STYLE = {"SUCCESS": "green", "PARTIAL": "yellow", "FAILED": "bold red", "SKIPPED": "dim"}


def summary_table(attempts: pd.DataFrame) -> Table:
    """One row per file: status, rows loaded/failed and the top reason."""
    table = Table(title="workdata run", show_lines=False)
    for name, justify in (
        ("domain", "left"),
        ("file", "left"),
        ("status", "left"),
        ("rows", "right"),
        ("loaded", "right"),
        ("failed", "right"),
    ):
        table.add_column(name, justify=justify, no_wrap=name != "file", overflow="fold")
    table.add_column("top reason", ratio=1, overflow="fold")
    for row in attempts.itertuples():
        status = str(row.status)
        table.add_row(
            row.domain,
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


def print_summary(console: Console, attempts: pd.DataFrame, log_path: Path) -> None:
    """Print the table, the totals line and a clickable link to the failure log."""
    console.print(summary_table(attempts))
    counts = attempts["status"].value_counts().to_dict()
    console.print(
        f"Processed {len(attempts)} files: {counts.get('SUCCESS', 0)} loaded, "
        f"{counts.get('PARTIAL', 0)} partial, {counts.get('FAILED', 0)} failed, "
        f"{counts.get('SKIPPED', 0)} skipped; {int(attempts['rows_loaded'].fillna(0).sum()):,} rows "
        f"loaded, {int(attempts['rows_failed'].fillna(0).sum()):,} rows captured as failures."
    )
    if log_path.exists():
        console.print(f"Saved failure log to [link={log_path.as_uri()}]{log_path}[/link]")
