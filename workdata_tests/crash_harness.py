"""Crash harness: real `workdata run` subprocesses killed with SIGKILL, then recovery, then a row-for-row
comparison with an uninterrupted run of the same inputs."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from workdata.demo.inbox import write_demo
from workdata.domains import DOMAINS
from workdata_tests.cli_process import clean_env, workdata_in_process

REPO = Path(__file__).resolve().parents[1]
BIG_ROWS = 2000


def environment(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment (`clean_env`) whose home and logs are `home`'s, plus `extra`."""
    settings = {"WORKDATA_HOME": str(home), "WORKDATA_LOGS_DIR": str(home / "logs"), "COLUMNS": "200"}
    return clean_env(**(settings | extra))


def prepare(home: Path) -> None:
    """The same demo inbox, byte for byte, in every home."""
    write_demo(home / "inbox", big_rows=BIG_ROWS)


def run_cli(home: Path, *args: str, kill_after: float | None = None, **extra: str) -> int:
    """`workdata run` (or another command) in a subprocess; optionally SIGKILL it after `kill_after` s."""
    command = [sys.executable, "-m", "workdata.cli", *(args or ("run",))]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment(home, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is not None:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
    return process.wait(timeout=600)


def run_here(home: Path, *args: str) -> int:
    """`workdata run` (or another command) on `home` in this process: for the runs nobody kills (the
    reference and the recovery), whose start-up is not what these tests are about."""
    return workdata_in_process(environment(home), *(args or ("run",))).returncode


def recover(home: Path) -> None:
    """What an operator (or the sensors) does after a crash: run again, then retry what failed."""
    run_here(home)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        retryable = conn.execute("SELECT count(*) FROM file_state WHERE status = 'FAILED' AND retryable")
        if retryable.fetchone()[0]:
            run_here(home, "retry")


def snapshot(home: Path) -> dict[str, list[tuple]]:
    """Everything that must match an uninterrupted run, without run ids, sessions and timestamps."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        state = {
            name: conn.execute(
                f'SELECT * EXCLUDE (_run_id, _loaded_at) FROM "{name}" ORDER BY ALL'
            ).fetchall()
            for name in DOMAINS
        }
        state["failed_records"] = conn.execute(
            'SELECT domain, source_file, row_index, error_type, raw_data, "column", "check", message, '
            "file_hash FROM failed_records ORDER BY ALL"
        ).fetchall()
        state["file_state"] = conn.execute(
            "SELECT domain, file_path, file_hash, status, error_category, retryable, user_message, "
            "rows_total, rows_loaded, rows_failed, failure_log_written FROM file_state ORDER BY ALL"
        ).fetchall()
    csvs = [pd.read_csv(p, dtype="str", keep_default_na=False) for p in sorted((home / "logs").glob("*.csv"))]
    logged = pd.concat(csvs) if csvs else pd.DataFrame()
    columns = ["domain", "source_file", "row_index", "error_type", "raw_data", "column", "check", "message"]
    state["csv"] = sorted(map(tuple, logged[columns].to_numpy().tolist())) if len(logged) else []
    return state


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences between two snapshots (empty when identical)."""
    found = []
    for name in expected:
        if expected[name] != actual[name]:
            missing = set(expected[name]) - set(actual[name])
            extra = [r for r in actual[name] if r not in set(expected[name])]
            found.append(
                f"{name}: {len(expected[name])} vs {len(actual[name])} rows; "
                f"missing {list(missing)[:2]} extra {extra[:2]}"
            )
    return found


def random_kill_delay(rng: random.Random) -> float:
    """Kill moments spread over a run's life: start-up, first domain, second domain, summary."""
    return rng.uniform(2.0, 9.0)


def soak(workdir: Path, reference: dict, kills: int, seed: int = 1) -> tuple[int, list[str]]:
    """Kill `kills` runs at random moments; return (survived, failures)."""
    rng = random.Random(seed)
    failures = []
    for attempt in range(kills):
        home = workdir / f"soak-{attempt}"
        prepare(home)
        started = time.monotonic()
        run_cli(home, kill_after=random_kill_delay(rng))
        recover(home)
        diff = differences(reference, snapshot(home))
        if diff:
            failures.append(f"kill {attempt} after {time.monotonic() - started:.1f}s: {diff}")
    return kills - len(failures), failures
