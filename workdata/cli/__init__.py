"""The `workdata` command: run the ingestion, open the UI, export failure logs."""

from __future__ import annotations

import argparse
import logging
import sys

from rich.console import Console

from workdata.cli.commands import (
    RECOVERY,
    export_failures,
    failures_list,
    open_ui,
    recover,
    run_inbox,
    status,
)
from workdata.core.errors import redact
from workdata.core.open_store import STORE_ERRORS


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the `workdata` command."""
    parser = argparse.ArgumentParser(prog="workdata", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest everything pending in the inbox through Dagster")
    run.add_argument("--demo", action="store_true", help="write the bundled demo data first")
    run.add_argument("--domain", action="append", help="only this domain (repeatable)")
    run.add_argument("--skip-failed", action="store_true", help="skip files whose content is known bad")
    retry = sub.add_parser("retry", help="retry FAILED files now, ignoring backoff (not the cap)")
    retry.add_argument("--domain")
    retry.add_argument("--file", help="a file path as in the ledger (relative to inbox/<domain>/)")
    retry.add_argument("--category")
    release = sub.add_parser("release", help="move a dead-lettered file back to PENDING")
    release.add_argument("file", help="<domain>/<file>")
    clear = sub.add_parser("clear", help="forget ledger entries (their files count as new again)")
    clear.add_argument("--status", action="append", default=None, help="default: FAILED and DEAD_LETTER")
    clear.add_argument("--yes", action="store_true")
    stats = sub.add_parser("stats", help="counts by status/category, failure and retry rates, stuck files")
    stats.add_argument("--json", action="store_true")
    sub.add_parser("verify", help="recompute checksums and check every invariant; non-zero on violations")
    replay = sub.add_parser("replay", help="re-validate failed rows and load those that now pass")
    replay.add_argument("--domain")
    replay.add_argument("--session")
    replay.add_argument("--error-type")
    ui = sub.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    status = sub.add_parser("status", help="latest runs with their outcome and counts")
    status.add_argument("--limit", type=int, default=20)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    failures = sub.add_parser("failures", help="failed files and failure logs")
    failures_sub = failures.add_subparsers(dest="action", required=True)
    listing = failures_sub.add_parser("list", help="page through failed files")
    listing.add_argument("--domain")
    listing.add_argument("--category", help="data_malformed, schema_mismatch, auth, connectivity, ...")
    listing.add_argument("--retryable", choices=("yes", "no"))
    listing.add_argument("--session")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--page-size", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    export = failures_sub.add_parser("export", help="regenerate a session CSV from DuckDB")
    export.add_argument("--session", required=True)
    export.add_argument("--out", help="write here instead of logs/wdh_etl_failures_<session>.csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `workdata` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except STORE_ERRORS as exc:
        # A corrupt, locked or unreadable warehouse: one plain sentence here, the trace in the log.
        logging.getLogger("workdata").exception("workdata: the warehouse could not be used")
        first_line = redact(str(exc).splitlines()[0])[:200] if str(exc) else type(exc).__name__
        Console(stderr=True).print(
            f"[red]The warehouse cannot be used ({first_line}).[/] If another process holds it, try again "
            "later; if it is corrupt, restore it from a backup or move it aside and workdata rebuilds it "
            "from the inbox."
        )
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return run_inbox(demo=args.demo, domains=args.domain, skip_failed=args.skip_failed)
    if args.command in RECOVERY:
        return recover(args)
    if args.command == "ui":
        return open_ui(host=args.host, port=args.port)
    if args.command == "status":
        return status(limit=args.limit, as_json=args.json)
    if args.action == "list":
        filters = {
            "domain": args.domain,
            "category": args.category,
            "session_id": args.session,
            "retryable": None if args.retryable is None else args.retryable == "yes",
        }
        return failures_list(filters, page=args.page, size=args.page_size, as_json=args.json)
    return export_failures(session_id=args.session, out=args.out)


if __name__ == "__main__":
    sys.exit(main())
