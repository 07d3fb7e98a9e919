"""The `workdata` command: run the ingestion, open the UI, export failure logs."""

from __future__ import annotations

import argparse
import logging
import sys

from rich.text import Text

from workdata.cli.commands import (
    RECOVERY,
    export_failures,
    failures_list,
    open_ui,
    recover,
    run_inbox,
    status,
)
from workdata.cli.home import BrokenInstanceError
from workdata.cli.render import console_for
from workdata.core.errors import redact
from workdata.core.records import ErrorCategory, ErrorType, FileStatus
from workdata.core.session import is_session_id
from workdata.core.settings import SettingsInvalidError
from workdata.core.storage.open_store import STORE_ERRORS
from workdata.domains import DOMAINS


def _positive(value: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not allowed; give a whole number of at least 1")
    return number


def _session(value: str) -> str:
    """argparse type: a session id as workdata writes them."""
    if not is_session_id(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a session id; they look like etl_20241130_101500_a1b2c3"
        )
    return value


DOMAIN_NAMES = tuple(DOMAINS)
CATEGORIES = tuple(c.value for c in ErrorCategory)
STATUSES = tuple(s.value for s in FileStatus)
ERROR_TYPES = tuple(t.value for t in ErrorType)


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the `workdata` command; every value is checked before anything runs."""
    parser = argparse.ArgumentParser(prog="workdata", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest everything pending in the inbox through Dagster")
    run.add_argument("--demo", action="store_true", help="write the bundled demo data first")
    run.add_argument("--domain", action="append", choices=DOMAIN_NAMES, help="only this domain (repeatable)")
    run.add_argument("--skip-failed", action="store_true", help="skip files whose content is known bad")
    retry = sub.add_parser("retry", help="retry FAILED files now, ignoring backoff (not the cap)")
    retry.add_argument("--domain", choices=DOMAIN_NAMES, help="only this domain")
    retry.add_argument("--file", help="a file path as in the ledger (relative to inbox/<domain>/)")
    retry.add_argument("--category", choices=CATEGORIES, help="only files failed with this category")
    release = sub.add_parser("release", help="move a dead-lettered file back to PENDING")
    release.add_argument("file", help="<domain>/<file>")
    clear = sub.add_parser("clear", help="forget ledger entries (their files count as new again)")
    clear.add_argument(
        "--status", action="append", choices=STATUSES, default=None, help="default: FAILED and DEAD_LETTER"
    )
    clear.add_argument("--yes", action="store_true", help="really forget them")
    stats = sub.add_parser("stats", help="counts by status/category, failure and retry rates, stuck files")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("verify", help="recompute checksums and check every invariant; non-zero on violations")
    replay = sub.add_parser("replay", help="re-validate failed rows and load those that now pass")
    replay.add_argument("--domain", choices=DOMAIN_NAMES, help="only this domain")
    replay.add_argument("--session", type=_session, help="only rows failed in this session")
    replay.add_argument("--error-type", choices=ERROR_TYPES, help="only rows failed with this error type")
    ui = sub.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=_positive, default=3000, help="port (default 3000)")
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    status = sub.add_parser("status", help="latest runs with their outcome and counts")
    status.add_argument("--limit", type=_positive, default=20, help="how many runs (default 20)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    failures = sub.add_parser("failures", help="failed files and failure logs")
    failures_sub = failures.add_subparsers(dest="action", required=True)
    listing = failures_sub.add_parser("list", help="page through failed and dead-lettered files")
    listing.add_argument("--domain", choices=DOMAIN_NAMES, help="only this domain")
    listing.add_argument("--category", choices=CATEGORIES, help="only this failure category")
    listing.add_argument("--retryable", choices=("yes", "no"), help="only (non-)retryable files")
    listing.add_argument(
        "--status",
        action="append",
        choices=("FAILED", "DEAD_LETTER"),
        help="only this status (repeatable; default FAILED and DEAD_LETTER)",
    )
    listing.add_argument("--session", type=_session, help="only files last attempted in this session")
    listing.add_argument("--page", type=_positive, default=1, help="page number (default 1)")
    listing.add_argument("--page-size", type=_positive, default=50, help="files per page (default 50)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    export = failures_sub.add_parser("export", help="regenerate a session CSV from the store")
    export.add_argument("--session", type=_session, required=True, help="the session id")
    export.add_argument("--out", help="write here instead of logs/wdh_etl_failures_<session>.csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `workdata` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except SettingsInvalidError as exc:
        console_for(stderr=True).print(Text(str(exc), style="red"))
        return 2
    except BrokenInstanceError as exc:
        logging.getLogger("workdata").exception("workdata: the Dagster instance could not be used")
        console_for(stderr=True).print(Text(str(exc), style="red"))
        return 1
    except STORE_ERRORS as exc:
        # A corrupt, locked or unreadable warehouse: one plain sentence here, the trace in the log.
        logging.getLogger("workdata").exception("workdata: the warehouse could not be used")
        first_line = redact(str(exc).splitlines()[0])[:200] if str(exc) else type(exc).__name__
        console_for(stderr=True).print(
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
            "statuses": tuple(args.status or ("FAILED", "DEAD_LETTER")),
        }
        return failures_list(filters, page=args.page, size=args.page_size, as_json=args.json)
    return export_failures(session_id=args.session, out=args.out)


if __name__ == "__main__":
    sys.exit(main())
