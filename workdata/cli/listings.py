"""`workdata status` and `workdata failures list`: what happened, as tables or JSON for scripts."""

from __future__ import annotations

import json

import pandas as pd
from rich.console import Console
from rich.table import Table

from workdata.core.ledger_reads import failed_files, latest_run_summaries
from workdata.core.store import Store

_STATUS_STYLE = {"SUCCESS": "green", "PARTIAL": "yellow", "FAILED": "red"}


def _json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def show_status(console: Console, store: Store, limit: int, as_json: bool, circuits: dict[str, str]) -> int:
    """Latest runs with their honest outcome and counts, and any circuit that is not closed."""
    runs = latest_run_summaries(store, limit)
    if as_json:
        runs["top_errors"] = runs["top_errors"].map(json.loads)
        console.print_json(json.dumps({"runs": json.loads(_json(runs)), "circuits": circuits}))
        return 0
    open_circuits = {dep: state for dep, state in circuits.items() if not state.startswith("closed")}
    if open_circuits:
        console.print(
            "[bold red]Open circuits:[/] " + ", ".join(f"{d} ({s})" for d, s in open_circuits.items())
        )
    if runs.empty:
        console.print("No finished runs recorded yet; run `workdata run` or start the sensors.")
        return 0
    table = Table(title="Latest runs", caption="files = ok/partial/failed/skipped; rows loaded and failed")
    for name in ("finished", "run", "outcome", "files"):
        table.add_column(name, no_wrap=True)
    for name in ("loaded", "failed", "retryable"):
        table.add_column(name, no_wrap=True, justify="right")
    for r in runs.itertuples():
        finished = "-" if pd.isna(r.finished_at) else pd.Timestamp(r.finished_at).strftime("%m-%d %H:%M")
        table.add_row(
            finished,
            r.run_id[:8],
            f"[{_STATUS_STYLE.get(r.status, '')}]{r.status}[/]",
            f"{r.files_success}/{r.files_partial}/{r.files_failed}/{r.files_skipped}",
            f"{r.rows_loaded:,}",
            f"{r.rows_failed:,}",
            str(r.retryable_failed),
        )
    console.print(table)
    return 0


def list_failures(console: Console, store: Store, filters: dict, page: int, size: int, as_json: bool) -> int:
    """One page of failed files with category, short message, retryability and attempts."""
    files = failed_files(store, **filters, limit=size, offset=(page - 1) * size)
    if as_json:
        console.print_json(_json(files))
        return 0
    if files.empty:
        console.print("No failed files match." if page == 1 else f"Page {page} is empty.")
        return 0
    console.print(f"[bold]Failed files[/] (page {page}):")
    for f in files.itertuples():
        when = pd.Timestamp(f.last_attempt_at).strftime("%Y-%m-%d %H:%M")
        retry = "retryable" if f.retryable else "not retryable"
        console.print(
            f"[red]✗[/] {f.domain}/{f.file_path}  [dim]{f.error_category} · {retry} · "
            f"{f.attempts} attempt(s) · {when}[/]"
        )
        console.print(f"    {f.user_message}")
    if len(files) == size:
        console.print(f"More may follow: --page {page + 1}")
    return 0
