"""`workdata run`: plan ranged runs for pending files and execute them in-process on the instance."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from workdata.cli.home import open_instance
from workdata.cli.render import print_ignored, print_summary
from workdata.core.domain import Domain
from workdata.core.inbox.planning import Plannable, RunPlan, discover_pending, plan_runs
from workdata.core.operations.run_summary import summarize
from workdata.core.records import ErrorType
from workdata.core.session import new_session_id
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv_repair import recover_failure_logs
from workdata.core.storage.store import Store
from workdata.core.verdict import is_outcome_line
from workdata.defs.automation.run_outcome import LAUNCHER_TAG, PID_TAG, reap_dead_cli_runs, record_run_outcome
from workdata.defs.build import build_definitions
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS

# In-process runs die with this process: the tags let the next `workdata run` notice that.
CLI_TAGS = {LAUNCHER_TAG: "cli", PID_TAG: str(os.getpid())}

# Exit status of `workdata run` by session outcome (2 is left to usage errors).
EXIT_CODES = {"SUCCESS": 0, "FAILED": 1, "PARTIAL": 3}

# Dagster's console logger would drown the progress bar; the run's events stay in the instance.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def ingest_pending(console: Console, settings: WorkdataSettings, store: Store, domains: list[Domain]) -> int:
    """Run every pending file through its domain job; print the summary; exit code of the outcome."""
    instance = open_instance()
    # Whatever a killed earlier run left behind: its Dagster run, and CSV appends it never made.
    for run_id in reap_dead_cli_runs(instance, store):
        console.print(
            f"Marked run {run_id} failed: the process running it died; its files are pending again."
        )
    if recovered := recover_failure_logs(store):
        console.print(
            f"Wrote {recovered} failed record(s) to the session CSVs that earlier runs committed but could "
            "not write (killed, or the log folder was unwritable)."
        )
    _, pending, ignored = discover_pending(settings.inbox_dir, domains, store.processed_hashes())
    print_ignored(console, ignored)
    # An entry that cannot be ingested is not a clean run: at least PARTIAL, never exit 0.
    floor = EXIT_CODES["PARTIAL"] if any(not e.expected for e in ignored) else EXIT_CODES["SUCCESS"]
    if not pending:
        console.print("Nothing new or changed in the inbox; every file is already in the ledger.")
        return floor
    code = ingest_files(console, settings, store, pending, instance=instance)
    return code if code != EXIT_CODES["SUCCESS"] else floor


def ingest_files(
    console: Console,
    settings: WorkdataSettings,
    store: Store,
    files: Sequence[Plannable],
    extra_tags: Mapping[str, str] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> int:
    """Run exactly `files` through the Dagster jobs in few ranged runs; print the summary."""
    instance = instance or open_instance()
    existing = {
        d: instance.get_dynamic_partitions(FILE_PARTITIONS[d].name) for d in {f.domain for f in files}
    }
    new_keys, plans = plan_runs(files, existing, settings.run_batch_size, settings.run_batch_bytes)
    for domain, keys in new_keys.items():
        if keys:
            instance.add_dynamic_partitions(FILE_PARTITIONS[domain].name, keys)
    session_id = new_session_id()
    console.print(
        f"Session {session_id}: {len(files)} file(s) in {len(plans)} run(s), "
        f"Dagster instance {instance.root_directory}"
    )
    for run_id in _execute(
        console, build_definitions(settings), instance, plans, session_id, extra_tags or {}
    ):
        # No daemon watches in-process runs: record each run's outcome as the sensor would.
        record_run_outcome(instance, instance.get_run_by_id(run_id), store)
    attempts = (
        store.attempts(session_id)
        .drop_duplicates(["domain", "file_path"], keep="last")
        .sort_values(["domain", "file_path"])
    )
    attempts["top_reason"] = [_top_reason(store, session_id, row) for row in attempts.itertuples()]
    session = summarize(session_id, session_id, attempts, [])
    print_summary(console, attempts, session, settings.failure_log_path(session_id))
    return EXIT_CODES[session.status]


def _execute(
    console: Console,
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    plans: list[RunPlan],
    session_id: str,
    extra_tags: Mapping[str, str],
) -> list[str]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("ingesting", total=sum(len(p.keys) for p in plans))
        run_ids = []
        for plan in plans:
            run_id = str(uuid.uuid4())
            run_ids.append(run_id)
            progress.update(task, description=f"{plan.domain} ({len(plan.keys)} files)")
            finish = _watch(instance, run_id, lambda n: progress.advance(task, n))
            try:
                defs.resolve_job_def(job_name(plan.domain)).execute_in_process(
                    instance=instance,
                    run_id=run_id,
                    tags=run_tags(plan, session_id) | dict(extra_tags) | CLI_TAGS,
                    run_config=QUIET,
                    raise_on_error=False,
                )
            finally:
                finish()
    return run_ids


def _watch(instance: dg.DagsterInstance, run_id: str, advance: Callable[[int], None]) -> Callable[[], None]:
    """Advance the bar for every file the run reports done; call the result to stop watching."""
    stop = threading.Event()

    def poll() -> None:
        cursor, finished = None, False
        while not finished:
            finished = stop.wait(0.3)
            try:
                conn = instance.get_records_for_run(run_id, cursor=cursor)
            except Exception:  # the run may not exist yet; the next poll sees it
                continue
            cursor = conn.cursor
            advance(sum(1 for r in conn.records if _reports_a_file(r.event_log_entry.user_message)))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(timeout=10)

    return finish


def _reports_a_file(message: str | None) -> bool:
    # Each file's outcome reaches the run's logs once, as the line of the managed `workdata` logger.
    return is_outcome_line(message)


def _top_reason(store: Store, session_id: str, row) -> str:
    if row.status in ("FAILED", "SKIPPED") or not row.rows_failed:
        return row.user_message if isinstance(row.user_message, str) else ""
    records = store.failed_records(session_id=session_id, domain=row.domain, source_file=row.file_path)
    records = records[records["error_type"] != ErrorType.DROPPED_IN_PIPELINE]  # not data, no failure
    if records.empty:
        return ""
    top = records.groupby(["error_type", "column", "check"], dropna=False).size().idxmax()
    return " ".join(str(part) for part in top if part == part and part is not None)
