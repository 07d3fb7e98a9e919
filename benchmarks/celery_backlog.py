"""A backlog of small files through the Celery deployment (deploy/celery) with 1 and with 2 workers: the
real daemon and sensors, RabbitMQ, Redis and PostgreSQL on this machine (workdata_tests.celery_cluster).
Time from the deployment being up (daemon started) to the last file's commit, runs and runs per worker.

Run: .venv/bin/python benchmarks/celery_backlog.py [files] [rows] [batch]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from orchestration import write_backlog  # noqa: E402

from workdata.app import open_store  # noqa: E402
from workdata.core.settings import WorkdataSettings  # noqa: E402
from workdata_tests.celery_cluster import celery_cluster, wait_until  # noqa: E402


def backlog(files: int = 1_000, rows: int = 20, batch: int = 50, workers: tuple[int, ...] = (1, 2)) -> None:
    """The same backlog through each number of `workers`, `batch` files a run."""
    for count in workers:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as name:
            root = Path(name)
            write_backlog(root / "inbox", files, rows)
            started = time.time()
            # The sensors tick as deployed (every 30 s), not as in the test.
            with celery_cluster(
                root,
                workers=count,
                WORKDATA_RUN_BATCH_SIZE=str(batch),
                WORKDATA_SENSOR_INTERVAL_SECONDS="30",
            ) as cluster:
                up = time.time()
                settings = WorkdataSettings(home=root, store_url=cluster.env["WORKDATA_STORE_URL"])

                def ledgered(settings=settings, cluster=cluster):
                    with open_store(settings).connect() as conn:
                        done, last = conn.execute(
                            "SELECT count(*), (SELECT max(finished_at) FROM file_attempts) FROM file_state "
                            "WHERE status IN ('SUCCESS', 'PARTIAL', 'FAILED', 'DEAD_LETTER')"
                        ).fetchone()
                    return done >= files and not cluster.runs_going() and last

                last = wait_until(ledgered, 1800, "the backlog", every=1)
                runs = cluster.instance.get_runs_count()
                per_worker = {name: cluster.tasks_done_by(name) for name in cluster.workers}
            print(
                f"{count} worker(s): {files:,} files x {rows} rows ledgered "
                f"{last.timestamp() - up:.1f}s after the daemon started (deployment start "
                f"{up - started:.1f}s before that); {runs} runs of up to {batch} files, runs per worker "
                f"{per_worker}",
                flush=True,
            )


if __name__ == "__main__":
    backlog(*(int(x) for x in sys.argv[1:4]))
