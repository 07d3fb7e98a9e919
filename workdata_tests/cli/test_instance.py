"""The Dagster instance the CLI opens: a broken one is one sentence saying how to repair it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from workdata_tests.cli_process import clean_env, workdata_in_process


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return workdata_in_process(clean_env(WORKDATA_HOME=str(home), COLUMNS="200"), *args)


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
