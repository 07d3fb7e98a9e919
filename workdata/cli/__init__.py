"""The `workdata` command: run the ingestion, open the UI, export failure logs."""

from __future__ import annotations

import argparse
import sys

from workdata.cli.commands import export_failures, open_ui, run_inbox


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the `workdata` command."""
    parser = argparse.ArgumentParser(prog="workdata", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest everything pending in the inbox through Dagster")
    run.add_argument("--demo", action="store_true", help="write the bundled demo data first")
    run.add_argument("--domain", action="append", help="only this domain (repeatable)")
    ui = sub.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    failures = sub.add_parser("failures", help="failure log tools")
    failures_sub = failures.add_subparsers(dest="action", required=True)
    export = failures_sub.add_parser("export", help="regenerate a session CSV from DuckDB")
    export.add_argument("--session", required=True)
    export.add_argument("--out", help="write here instead of logs/wdh_etl_failures_<session>.csv")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `workdata` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return run_inbox(demo=args.demo, domains=args.domain)
    if args.command == "ui":
        return open_ui(host=args.host, port=args.port)
    return export_failures(session_id=args.session, out=args.out)


if __name__ == "__main__":
    sys.exit(main())
