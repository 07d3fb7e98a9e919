"""The Dagster instance the CLI opens: a broken one is one sentence saying how to repair it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKDATA_", "DAGSTER_HOME"))}
    env |= {"WORKDATA_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "workdata.cli", *args], cwd=REPO, env=env, capture_output=True, text=True
    )


def test_a_broken_instance_is_one_sentence_with_the_repair(tmp_path):
    (tmp_path / "inbox" / "annuity_income").mkdir(parents=True)
    (tmp_path / "inbox" / "annuity_income" / "a.csv").write_text("report_month\n2024-07\n")
    assert _cli(tmp_path, "run").returncode == 1
    runs_db = tmp_path / "dagster_home" / "history" / "runs.db"
    assert runs_db.exists()
    runs_db.write_bytes(os.urandom(8192))
    (tmp_path / "inbox" / "annuity_income" / "b.csv").write_text("report_month\n2024-08\n")
    broken = _cli(tmp_path, "run")
    text = " ".join(broken.stderr.split())
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Traceback" not in broken.stdout + broken.stderr
    assert "The Dagster instance at" in text and "dagster instance migrate" in text
    assert "move the folder aside" in text
