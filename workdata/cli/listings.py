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
from workdata.core.inbox.survey import IgnoredEntry
from workdata.core.storage.ledger_reads import failed_files, latest_run_summaries
from workdata.core.storage.store import Store


def _json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", date_format="iso", force_ascii=False)


def _present(count: object) -> bool:
    # Summaries written before a column existed hold NULL there (NaN in the frame).
    return count is not None and not pd.isna(count) and bool(count)


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
    # Fits an 80-column terminal: run over session, counts in words; names fold (--json has every field).
    table = Table(
        title="Latest runs", caption="rows: loaded, rejected and dropped as not data by the run", expand=True
    )
    table.add_column("finished", no_wrap=True)
    table.add_column("run / session", ratio=1, min_width=10, overflow="fold")
    table.add_column("outcome", no_wrap=True)
    table.add_column("files", ratio=2, min_width=12, overflow="fold")
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("retry", justify="right", no_wrap=True)
    for r in runs.itertuples():
        counts = {
            "ok": r.files_success,
            "partial": r.files_partial,
            "failed": r.files_failed,
            "dead letter": r.files_dead_letter or 0,
            "skipped": r.files_skipped,
        }
        table.add_row(
            _when(r.finished_at),
            Text(f"{r.run_id[:8]}\n{r.session_id or '-'}"),
            styled_status(r.status),
            ", ".join(f"{n} {name}" for name, n in counts.items() if n) or "none",
            f"{r.rows_loaded:,} loaded\n{r.rows_failed:,} failed"
            + (f"\n{int(r.rows_dropped):,} dropped" if _present(getattr(r, "rows_dropped", None)) else ""),
            str(r.retryable_failed),
        )
    console.print(table)
    return 0


def list_failures(console: Console, store: Store, filters: dict, page: int, size: int, as_json: bool) -> int:
    """One page of failed and dead-lettered files: status and category, whether and when retried, why."""
    files = failed_files(store, **filters, limit=size, offset=(page - 1) * size)
    if as_json:
        console.print_json(_json(files))
        return 0
    if files.empty:
        console.print("No failed files match." if page == 1 else f"Page {page} is empty.")
        return 0
    # Fits an 80-column terminal: names and reasons fold; status over category (--json has every field).
    table = Table(title=f"Failed files (page {page})", title_justify="left", expand=True)
    table.add_column("file", ratio=2, min_width=12, overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("retry", ratio=1, min_width=12, overflow="fold")
    table.add_column("why", ratio=3, min_width=20, overflow="fold")
    for f in files.itertuples():
        if f.status == "DEAD_LETTER":
            retry = "dead letter: release by hand"
        elif f.retryable:
            retry = f"retryable, next {_when(f.next_retry_at)}"
        else:
            retry = "not retryable"
        status = styled_status(f.status).append(f"\n{f.error_category}", style="dim")
        table.add_row(
            Text(f"{f.domain}/{f.file_path}"),
            status,
            f"{retry} ({f.attempts} tr{'y' if f.attempts == 1 else 'ies'})",
            Text(str(f.user_message)),
        )
    console.print(table)
    if len(files) == size:
        console.print(f"More may follow: --page {page + 1}")
    return 0
