"""Every figure of the performance goals in one command (`./dev bench`); takes about 8 minutes.

speed (1M rows, 1% bad) and recall; 10% vs 0% bad rows; peak RSS at ~100 MB and ~1 GB; the retry
sensor's tick over 10,000 partitions; a 1,000-file backlog through the real daemon.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import celery_backlog  # noqa: E402
import ingest_speed  # noqa: E402
import orchestration  # noqa: E402
from generate import generate  # noqa: E402


def memory() -> None:
    """Peak RSS for a ~130 MB and a ~1 GB file, each in a fresh process."""
    with tempfile.TemporaryDirectory() as name:
        for rows in (1_000_000, 8_000_000):
            path = Path(name) / f"bench_{rows}.csv"
            generate(path, rows, 0.01)
            subprocess.run([sys.executable, str(HERE / "memory.py"), str(path)], check=True)
            path.unlink()


if __name__ == "__main__":
    sections = [
        ("speed, 1M rows, 1% bad", lambda: ingest_speed.main(1_000_000, 0.01, 3)),
        ("bad-row cost", lambda: ingest_speed.bad_ratio_cost(1_000_000, 2)),
        ("memory", memory),
        ("retry tick", lambda: [orchestration.retry_tick(10_000, 1_000, 5, s) for s in (0, 1)]),
        ("backlog", lambda: orchestration.backlog(1_000, 20)),
        ("celery backlog", lambda: celery_backlog.backlog(1_000, 20, 50)),
    ]
    only = set(sys.argv[1:])
    for title, run in sections:
        if not only or any(word in title for word in only):
            print(f"\n== {title}", flush=True)
            run()
