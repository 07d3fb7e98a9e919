"""Four `workdata run` processes started at once on one fresh home and one shared inbox end exactly as one
uninterrupted run does: warehouse, failed_records, file_state and the session CSVs' lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from workdata.core.settings import WorkdataSettings
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.demo.inbox import write_demo
from workdata_tests.cli_process import workdata_in_process
from workdata_tests.crash_harness import REPO, environment
from workdata_tests.end_state import LEDGER, end_state

# Four processes on two cores already interleave their claims, commits and CSV appends.
PROCESSES, EXTRA_FILES = 4, 10
# The ledger's facts plus attempts: four runs at once must not spend more of them than one run.
LEDGER_AND_ATTEMPTS = [*LEDGER, "attempts"]


def _inbox(folder: Path) -> None:
    """The demo inbox (broken files included) plus small files with bad rows: 39 files."""
    write_demo(folder, big_rows=1500)
    for n in range(EXTRA_FILES):
        rows = make_rows("annuity_income", 100 + n, f"{2001 + n}-05", 150)  # keys of its own
        plant_defects("annuity_income", rows, ("unknown_plan", "unparsable_date", "wrong_field_count"), 0.03)
        write_csv(folder / "annuity_income" / f"extra_{n:02d}.csv", rows)


def _start(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workdata.cli", "run"],
        cwd=REPO,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(home: Path) -> dict[str, pd.DataFrame]:
    return end_state(WorkdataSettings(home=home, logs_dir=home / "logs"), LEDGER_AND_ATTEMPTS)


def test_four_cli_runs_at_once_end_as_one_run_does(tmp_path):
    single, shared = tmp_path / "single", tmp_path / "shared"
    _inbox(single / "inbox")
    shutil.copytree(single / "inbox", shared / "inbox")

    alone = workdata_in_process(environment(single), "run")  # the reference: one run, in this process
    assert alone.returncode in (0, 3), alone.stdout + alone.stderr

    processes = [_start(shared) for _ in range(PROCESSES)]
    results = [p.communicate(timeout=600) for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode in (0, 1, 3), out + err
        assert "Traceback" not in out + err, out + err

    expected, got = _state(single), _state(shared)
    assert len(expected["file_state"]) == 29 + EXTRA_FILES
    assert len(expected["failed_records"]) > 100
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
    # Nothing doubled: every failed record is one line of one session CSV.
    assert not got["csv_lines"].duplicated().any()

    later = workdata_in_process(environment(shared), "run")
    assert later.returncode == 0 and "Nothing new or changed" in later.stdout, later.stdout + later.stderr
