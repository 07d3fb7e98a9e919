"""Orchestration cost, through real Dagster parts (not part of the test suite):

  retry-tick  the retry sensor's tick with N file partitions of which M failed and are due
  backlog     N small files dropped in the inbox, ingested by the real daemon (inbox sensor, queued run
              coordinator, default run launcher: one subprocess per run); time from drop to the last
              file in the ledger, and how many runs it took

Run: .venv/bin/python benchmarks/orchestration.py retry-tick [partitions] [failed] [ticks]
     .venv/bin/python benchmarks/orchestration.py backlog [files] [rows_per_file] [files_per_run]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.instance.ref import InstanceRef

from workdata.app import open_store
from workdata.core.session import utc_now
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.schema import LEDGER_FIELDS
from workdata.defs.automation.retry_sensor import retry_sensor
from workdata.defs.build import build_definitions
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from workdata_tests.servers import server  # noqa: E402  (starts and stops a process group)

warnings.filterwarnings("ignore")


def retry_tick(partitions: int = 10_000, failed: int = 1_000, ticks: int = 5, scattered: int = 1) -> None:
    """Median and range of the retry sensor's tick on a ledger of `partitions` files, `failed` due
    (scattered evenly over the partitions, or clustered at the end as after an outage)."""
    with tempfile.TemporaryDirectory() as name:
        settings = WorkdataSettings(home=Path(name), logs_dir=Path(name) / "logs")
        store = open_store(settings)
        domains = list(DOMAINS)
        keys = {
            d: [f"f{i:06d}.csv" for i in range(i0, partitions, len(domains))] for i0, d in enumerate(domains)
        }
        _seed_ledger(store, keys, failed, scattered)
        home = Path(name) / "dagster_home"
        home.mkdir()
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        for domain, names in keys.items():
            instance.add_dynamic_partitions(FILE_PARTITIONS[domain].name, names)
        defs = build_definitions(settings)
        times, requests = [], None
        for _ in range(ticks):
            context = dg.build_sensor_context(
                instance=instance, instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources
            )
            started = time.perf_counter()
            requests = retry_sensor(context)
            times.append(time.perf_counter() - started)
        launched = len(requests)
        layout = "scattered evenly" if scattered else "clustered (an outage)"
        print(
            f"retry tick, {partitions:,} partitions, {failed:,} failed and due, {layout}: median "
            f"{statistics.median(times):.3f}s, range {min(times):.3f}-{max(times):.3f}s over {ticks} ticks; "
            f"{launched} run request(s) of up to {settings.run_batch_size} files"
        )


def _seed_ledger(store, keys: dict[str, list[str]], failed: int, scattered: int) -> None:
    now, rows, bad_so_far = utc_now(), [], 0
    total = sum(map(len, keys.values()))
    every = max(1, total // failed)
    for n, (domain, name) in enumerate((d, k) for d, names in keys.items() for k in names):
        position = n if scattered else (n % len(keys[domain]))
        due_here = position % every == 0 if scattered else position >= len(keys[domain]) - failed // len(keys)
        bad = due_here and bad_so_far < failed
        bad_so_far += bad
        status = "FAILED" if bad else "SUCCESS"
        values = dict.fromkeys(LEDGER_FIELDS)
        values |= {
            "domain": domain,
            "file_path": name,
            "file_hash": f"{n:064x}",
            "status": status,
            "error_category": "connectivity" if bad else None,
            "retryable": bad or None,
            "user_message": "The share was offline." if bad else None,
            "rows_total": 10,
            "rows_loaded": 0 if bad else 10,
            "rows_failed": 0,
            "attempts": 1,
            "first_seen_at": now - timedelta(hours=1),
            "last_attempt_at": now - timedelta(hours=1),
            "next_retry_at": now - timedelta(minutes=1) if bad else None,
            "session_id": "etl_20241130_101500_abc123",
            "failure_log_written": True,
        }
        rows.append(tuple(values[f] for f in LEDGER_FIELDS))
    with store.connect() as conn:
        conn.execute("BEGIN TRANSACTION")
        for row in rows:
            conn.execute(
                f"INSERT INTO file_state ({', '.join(LEDGER_FIELDS)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(LEDGER_FIELDS))})",
                list(row),
            )
        conn.execute("COMMIT")


def backlog(files: int = 1_000, rows: int = 20, batch: int | None = None, timeout: float = 900) -> None:
    """Drop `files` small CSVs in the inbox, start the daemon, wait until every file is in the ledger
    (`batch` files a run at most; None: workdata's default)."""
    batch = batch or WorkdataSettings().run_batch_size
    # The daemon's last writes may land after it was told to stop: leave those to the OS's /tmp cleanup.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as name:
        root = Path(name)
        write_backlog(root / "inbox", files, rows)
        home = root / "dagster_home"
        home.mkdir()
        shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKDATA_")}
        env |= {
            "DAGSTER_HOME": str(home),
            "WORKDATA_HOME": str(root),
            "WORKDATA_LOGS_DIR": str(root / "logs"),
            "WORKDATA_SETTLE_SECONDS": "0",
            "WORKDATA_RUN_BATCH_SIZE": str(batch),
        }
        wall_start = time.time()
        daemon = [sys.executable, "-m", "dagster._daemon", "run", "-w", str(REPO / "workspace.yaml")]
        with server(daemon, env):
            done, last = _wait_for_ledger(root / "warehouse.duckdb", home, files, wall_start, timeout)
        os.environ["DAGSTER_HOME"] = str(home)
        records = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))).get_run_records()
        runs = [r.dagster_run for r in records]
        spans = sorted((r.start_time or 0, r.end_time or 0) for r in records)
        if spans:
            busy = sum(end - start for start, end in spans)
            for start, end in spans:
                print(f"  run from {start - wall_start:6.1f}s to {end - wall_start:6.1f}s after the drop")
            print(
                f"runs: first started {spans[0][0] - wall_start:.1f}s after the drop, last ended "
                f"{max(end for _, end in spans) - wall_start:.1f}s after; {busy:.1f}s inside runs in all"
            )
        print(
            f"backlog of {files:,} files x {rows} rows: {'all' if done else 'NOT all'} ledgered in "
            f"{last:.1f}s from drop (daemon start included), {len(runs)} run(s) of up to {batch} files; "
            f"one run per file would start {files:,} run processes"
        )


def write_backlog(inbox: Path, files: int, rows: int) -> None:
    """`files` small CSVs over the domains, each with keys of its own (a month per file)."""
    domains = list(DOMAINS)
    for n in range(files):
        domain = domains[n % len(domains)]
        month = f"{2000 + n // 12:04d}-{n % 12 + 1:02d}"
        write_csv(inbox / domain / f"f{n:05d}.csv", make_rows(domain, n, month, rows))


def _wait_for_ledger(
    database: Path, home: Path, files: int, dropped_at: float, timeout: float
) -> tuple[bool, float]:
    # Looking into DuckDB while runs write would take its lock from them (a second process cannot even
    # read it): watch the Dagster instance until no run is queued or going, then read the ledger once.
    # The last commit's time is its file_attempts row's finished_at.
    instance, deadline = None, time.time() + timeout
    while time.time() < deadline:
        time.sleep(1)
        if instance is None and (home / "history" / "runs.db").exists():
            instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        if instance is None or not instance.get_runs_count() or _runs_going(instance):
            continue
        try:
            with duckdb.connect(str(database), read_only=True) as conn:
                count, last = conn.execute(
                    "SELECT count(*), (SELECT max(finished_at) FROM file_attempts) FROM file_state "
                    "WHERE status <> 'PENDING'"
                ).fetchone()
        except duckdb.Error:
            continue  # a sensor holds the lock; look again in a second
        if count >= files:
            return True, last.timestamp() - dropped_at
    return False, time.time() - dropped_at


def _runs_going(instance: dg.DagsterInstance) -> bool:
    going = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    return bool(instance.get_runs_count(dg.RunsFilter(statuses=going)))


if __name__ == "__main__":
    command, *numbers = sys.argv[1:] or ["retry-tick"]
    if command == "retry-tick":
        retry_tick(*(int(x) for x in numbers))
    elif command == "backlog":
        backlog(*(int(x) for x in numbers))
    else:
        raise SystemExit(__doc__)
