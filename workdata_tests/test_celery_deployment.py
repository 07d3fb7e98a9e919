"""workdata beyond one machine, for real: runs spread over two Celery workers (deploy/celery) by the real
daemon and sensors, one worker's run killed mid-way, and the end state identical to a single-process
run of the same inbox. Needs PostgreSQL, RabbitMQ and Redis (skipped with the reason otherwise)."""

from __future__ import annotations

import csv
import os
import shutil
import signal
from pathlib import Path

import dagster as dg
import pandas as pd
from celery import Celery

from workdata.app import open_store
from workdata.core.settings import WorkdataSettings
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.domains import DOMAINS
from workdata_tests.celery_cluster import celery_cluster, wait_until
from workdata_tests.cli_process import clean_env, workdata_in_process
from workdata_tests.end_state import end_state

FILES = 200
BATCH = 50  # files a run: four runs for the two workers (each run one process start)


def write_inbox(inbox: Path) -> None:
    """FILES small CSVs over both domains, every third with planted bad rows of several kinds."""
    domains = list(DOMAINS)
    for n in range(FILES):
        domain = domains[n % len(domains)]
        rows = make_rows(domain, n, f"{2000 + n // 12:04d}-{n % 12 + 1:02d}", 40)
        if n % 3 == 0:
            plant_defects(domain, rows, ("text_in_number", "unknown_plan", "wrong_field_count"), 0.1)
        write_csv(inbox / domain / f"f{n:04d}.csv", rows)


def check_csvs(logs: Path) -> None:
    """Each session CSV has one header and only whole lines (its lines are compared in end_state)."""
    for path in sorted(logs.glob("wdh_etl_failures_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            header, *body = list(csv.reader(handle))
        assert header[0] == "session_id" and all(row != header for row in body), path
        assert all(len(row) == len(header) for row in body), f"torn line in {path}"


def test_two_celery_workers_ingest_a_backlog_and_a_killed_worker_run_is_retried_to_the_same_end(
    tmp_path,
):
    deployed = tmp_path / "deployed"
    write_inbox(deployed / "inbox")
    alone = tmp_path / "alone"
    shutil.copytree(deployed / "inbox", alone / "inbox")

    with celery_cluster(
        deployed,
        workers=2,
        WORKDATA_RUN_BATCH_SIZE=str(BATCH),
        WORKDATA_RETRY='{"base_seconds": 1, "cap_seconds": 2}',
    ) as cluster:
        results = Celery(
            broker=cluster.env["DAGSTER_CELERY_BROKER_URL"], backend=cluster.env["DAGSTER_CELERY_BACKEND_URL"]
        )

        def a_run_in_progress():
            # A run a worker has begun: its Celery task is STARTED with the pid of the process running it.
            for run in cluster.instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                task = run.tags.get("dagster-celery/task_id")
                result = results.AsyncResult(task) if task else None
                if result is not None and result.state == "STARTED" and isinstance(result.info, dict):
                    return run, result.info
            return None

        run, worker = wait_until(a_run_in_progress, 180, "a run started by a worker", every=0.2)
        os.kill(worker["pid"], signal.SIGKILL)  # the worker process running it dies mid-run
        killed = wait_until(
            lambda: (r := cluster.instance.get_run_by_id(run.run_id)).is_finished and r, 120, "the killed run"
        )
        assert killed.status == dg.DagsterRunStatus.FAILURE  # run monitoring saw the worker go

        # Meanwhile, the same inbox through one process (the embedded default: DuckDB, in process).
        env = clean_env(
            WORKDATA_HOME=str(alone), WORKDATA_LOGS_DIR=str(alone / "logs"), WORKDATA_SETTLE_SECONDS="0"
        )
        single = workdata_in_process(env, "run")
        assert "Processed 200 files" in single.stdout, single.stdout + single.stderr

        settings = WorkdataSettings(
            home=deployed, logs_dir=deployed / "logs", store_url=cluster.env["WORKDATA_STORE_URL"]
        )

        def all_settled():
            with open_store(settings).connect() as conn:
                settled, retrying = conn.execute(
                    "SELECT count(*) FILTER (WHERE status IN ('SUCCESS', 'PARTIAL', 'FAILED', "
                    "'DEAD_LETTER')), count(*) FILTER (WHERE status = 'FAILED' AND retryable) FROM file_state"
                ).fetchone()
            going = cluster.runs_going()
            print(f"settled {settled}, retrying {retrying}, runs going {going}")  # shown if it times out
            return settled == FILES and not retrying and not going

        wait_until(all_settled, 300, "every file settled and no run going", every=2)
        done = {name: cluster.tasks_done_by(name) for name in cluster.workers}
        assert all(done.values()), f"runs per worker: {done}"  # both workers ran some
        killed_files = _files_of(cluster.instance, killed)

        # Compared while the deployment's schemas exist (they are dropped with it).
        spread, one = end_state(settings), end_state(WorkdataSettings(home=alone, logs_dir=alone / "logs"))
        assert len(one["file_state"]) == FILES and len(one["failed_records"]) > 200
        for name in one:
            pd.testing.assert_frame_equal(spread[name], one[name], obj=name)
        check_csvs(deployed / "logs")

        # Each file was ledgered once; only the killed run's files took a second attempt.
        with open_store(settings).connect() as conn:
            attempts = dict(conn.execute("SELECT file_path, attempts FROM file_state").fetchall())
            per_file = dict(conn.execute("SELECT file_path, count(*) FROM file_state GROUP BY 1").fetchall())
        assert set(per_file.values()) == {1} and len(per_file) == FILES
        retried = {f for f, a in attempts.items() if a == 2}
        assert retried and retried <= killed_files and set(attempts.values()) == {1, 2}


def _files_of(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[str]:
    from workdata.defs.automation.run_outcome import expected_files

    return {key for _, key in expected_files(instance, run)}
