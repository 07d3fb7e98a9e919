"""`workdata status` and `workdata failures list`: what happened, as tables or JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from workdata.cli.render import print_ignored, styled_status
from workdata.core.inbox import IgnoredEntry
from workdata.core.ledger_reads import failed_files, latest_run_summaries
from workdata.core.store import Store


def _json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def _when(value: object) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%m-%d %H:%M")


def show_status(
    console: Console,
    store: Store,
    limit: int,
    as_json: bool,
    circuits: dict[str, str],
    ignored: list[IgnoredEntry],
) -> int:
    """Latest runs with their honest outcome and counts, any circuit that is not closed, and the inbox
    entries that cannot be ingested."""
    runs = latest_run_summaries(store, limit)
    if as_json:
        runs["top_errors"] = runs["top_errors"].map(json.loads)
        body = {
            "runs": json.loads(_json(runs)),
            "circuits": circuits,
            "ignored": [asdict(e) for e in ignored],
        }
        console.print_json(json.dumps(body, ensure_ascii=False))
        return 0
    print_ignored(console, ignored)
    open_circuits = {dep: state for dep, state in circuits.items() if not state.startswith("closed")}
    if open_circuits:
        console.print(
            "[bold red]Open circuits:[/] " + escape(", ".join(f"{d} ({s})" for d, s in open_circuits.items()))
        )
    if runs.empty:
        console.print("No finished runs recorded yet; run `workdata run` or start the sensors.")
        return 0
    table = Table(title="Latest runs", caption="files by outcome; rows loaded and rejected by this run")
    for name in ("finished", "run", "session", "outcome"):
        table.add_column(name, no_wrap=True)
    for name in ("ok", "partial", "failed", "dead letter", "skipped", "rows loaded", "rows failed"):
        table.add_column(name, no_wrap=True, justify="right")
    table.add_column("retryable", no_wrap=True, justify="right")
    for r in runs.itertuples():
        table.add_row(
            _when(r.finished_at),
            r.run_id[:8],
            Text(str(r.session_id or "-")),
            styled_status(r.status),
            str(r.files_success),
            str(r.files_partial),
            str(r.files_failed),
            str(r.files_dead_letter or 0),
            str(r.files_skipped),
            f"{r.rows_loaded:,}",
            f"{r.rows_failed:,}",
            str(r.retryable_failed),
        )
    console.print(table)
    return 0


def list_failures(console: Console, store: Store, filters: dict, page: int, size: int, as_json: bool) -> int:
    """One page of failed and dead-lettered files: status, category, retry, attempts, next retry, why."""
    files = failed_files(store, **filters, limit=size, offset=(page - 1) * size)
    if as_json:
        console.print_json(_json(files))
        return 0
    if files.empty:
        console.print("No failed files match." if page == 1 else f"Page {page} is empty.")
        return 0
    table = Table(title=f"Failed files (page {page})", title_justify="left")
    for name in ("file", "status", "category", "retry", "attempts", "last attempt", "next retry"):
        table.add_column(name, no_wrap=True)
    table.add_column("why", ratio=1, min_width=30, overflow="fold")
    for f in files.itertuples():
        if f.status == "DEAD_LETTER":
            retry = "dead letter: release by hand"
        else:
            retry = "retryable" if f.retryable else "not retryable"
        table.add_row(
            Text(f"{f.domain}/{f.file_path}"),
            styled_status(f.status),
            Text(str(f.error_category)),
            retry,
            str(f.attempts),
            _when(f.last_attempt_at),
            _when(f.next_retry_at) if f.status == "FAILED" and f.retryable else "-",
            Text(str(f.user_message)),
        )
    console.print(table)
    if len(files) == size:
        console.print(f"More may follow: --page {page + 1}")
    return 0
