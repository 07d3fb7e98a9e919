"""The `workdata` sub-commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from workdata.app import load_settings, open_store
from workdata.cli.home import ensure_dagster_home, open_instance
from workdata.cli.render import console_for
from workdata.core.inbox.survey import survey_inbox
from workdata.core.log_file import attach_log_file
from workdata.core.settings import WorkdataSettings
from workdata.core.staged import FailedRecords
from workdata.core.storage.failure_csv import rewrite_failures
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS


def _store(settings: WorkdataSettings) -> Store:
    return open_store(settings)


def _log_to_file(console: Console, settings: WorkdataSettings) -> None:
    # Full traces go to logs/workdata.log; the console shows one-line messages only.
    problem = attach_log_file(settings.logs_dir)
    if problem:
        console.print(Text(problem, style="yellow"))


def run_inbox(demo: bool = False, domains: list[str] | None = None, skip_failed: bool = False) -> int:
    """`workdata run`: ingest what is pending through the Dagster jobs; 1 when a file failed."""
    from workdata.cli.run import ingest_pending  # dagster loads slowly; only this command needs it

    console = console_for()
    settings = load_settings(**({"skip_failed": True} if skip_failed else {}))
    ensure_dagster_home(settings)
    _log_to_file(console, settings)
    selected = [DOMAINS[d] for d in domains] if domains else list(DOMAINS.values())
    if not demo:
        return ingest_pending(console, settings, _store(settings), selected)
    from workdata.demo.inbox import write_demo

    written = write_demo(settings.inbox_dir)
    console.print(f"Wrote {len(written)} demo files to {settings.inbox_dir}")
    store = _store(settings)
    ingest_pending(console, settings, store, selected)
    return _check_demo(console, store, [f for f in written if f.domain in {d.name for d in selected}])


def _check_demo(console: Console, store: Store, written: list) -> int:
    # The demo plants broken files on purpose: it succeeds when every file ended as planted.
    wrong = []
    for demo_file in written:
        state = store.get_state(demo_file.domain, demo_file.key) or {}
        if state.get("status") != demo_file.status:
            wrong.append(
                f"{demo_file.domain}/{demo_file.key}: {state.get('status')} (expected {demo_file.status})"
            )
    if wrong:
        console.print("[red]Demo check failed:[/] " + "; ".join(wrong))
        return 1
    planted = sum(1 for f in written if f.status == "FAILED")
    console.print(
        f"Demo check passed: all {len(written)} files ended as planted "
        f"({planted} broken files were rejected on purpose and recorded in the ledger)."
    )
    return 0


def ui_command(host: str = "127.0.0.1", port: int = 3000) -> list[str]:
    """`dagster dev` for workdata's code location, bound to `host` (loopback unless told otherwise)."""
    return [sys.executable, "-m", "dagster", "dev", "-m", "workdata.definitions", "-h", host, "-p", str(port)]


def open_ui(host: str = "127.0.0.1", port: int = 3000) -> int:
    """`workdata ui`: `dagster dev` on the same instance and settings as the CLI."""
    settings = load_settings()
    home = ensure_dagster_home(settings)
    from workdata.defs.ingest.pools import ensure_writer_pool

    # Partition launches and backfills from the UI queue runs too: their pool must exist first (and the
    # instance must be whole: a killed first run may have left it half made).
    ensure_writer_pool(open_instance())
    console_for().print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home})")
    os.execv(sys.executable, ui_command(host, port))
    return 0  # not reached


def export_failures(session_id: str, out: str | None = None) -> int:
    """`workdata failures export`: regenerate a session's failure CSV from the store."""
    from workdata.core.storage.ledger_reads import session_known

    console = console_for()
    settings = load_settings()
    store = _store(settings)
    if not session_known(store, session_id):
        console.print(
            f"[red]No run of session {session_id} is recorded;[/] `workdata status` lists the sessions."
        )
        return 2
    path = Path(out) if out else settings.failure_log_path(session_id)
    count = rewrite_failures(path, FailedRecords.from_frame(store.failed_records(session_id=session_id)))
    console.print(
        f"Wrote {count} failed records of {session_id} to "
        f"[link={path.resolve().as_uri()}]{escape(str(path))}[/link]"
    )
    return 0


def status(limit: int = 20, as_json: bool = False) -> int:
    """`workdata status`: the latest runs and their honest outcome."""
    from workdata.cli.listings import show_status
    from workdata.cli.recovery import circuit_states

    console = console_for(as_json)
    settings = load_settings()
    ignored = survey_inbox(settings.inbox_dir, DOMAINS.values()).ignored
    return show_status(console, _store(settings), limit, as_json, circuit_states(settings), ignored)


def failures_list(filters: dict, page: int = 1, size: int = 50, as_json: bool = False) -> int:
    """`workdata failures list`: failed files, filtered and paged."""
    from workdata.cli.listings import list_failures

    console = console_for(as_json)
    return list_failures(console, _store(load_settings()), filters, max(page, 1), size, as_json)


RECOVERY = ("retry", "release", "clear", "stats", "verify", "replay")


def recover(args) -> int:
    """The recovery sub-commands (`workdata retry|release|clear|stats|verify|replay`)."""
    from workdata.cli import recovery

    console = console_for(getattr(args, "json", False))
    settings = load_settings()
    if args.command == "retry":
        ensure_dagster_home(settings)
        _log_to_file(console, settings)
    store = _store(settings)
    if args.command == "retry":
        filters = {"domain": args.domain, "file_path": args.file, "category": args.category}
        return recovery.retry_now(console, settings, store, filters)
    if args.command == "release":
        return recovery.release_file(console, store, args.file)
    if args.command == "clear":
        return recovery.clear_entries(console, store, args.status or ["FAILED", "DEAD_LETTER"], args.yes)
    if args.command == "stats":
        return recovery.show_stats(console, store, args.json)
    if args.command == "verify":
        return recovery.run_verify(console, settings, store)
    return recovery.run_replay(console, settings, store, args.domain, args.session, args.error_type)
