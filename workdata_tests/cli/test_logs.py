"""Where logs land and what happens when they cannot be written: WORKDATA_HOME moves them, an unwritable
or full log never stops a load, and every line of workdata.log is JSON, from the CLI and from runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from workdata.core.inbox.planning import RunPlan
from workdata.defs.build import build_definitions
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata_tests.cli_process import REPO, clean_env, workdata

DOMAIN = "annuity_income"


def _dirty(inbox: Path) -> None:
    rows = make_rows(DOMAIN, 3, "2024-07", 200)
    plant_defects(DOMAIN, rows, ("unknown_plan",), 0.05)
    write_csv(inbox / DOMAIN / "dirty.csv", rows)


def _cli(cwd: Path, env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    return workdata(clean_env(PYTHONPATH=str(REPO), COLUMNS="200", **env_extra), *args, cwd=cwd)


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_workdata_home_alone_moves_the_logs_and_lines_are_json(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "cwd"
    elsewhere.mkdir()
    _dirty(home / "inbox")
    run = _cli(elsewhere, {"WORKDATA_HOME": str(home)}, "run")
    assert run.returncode == 3, run.stdout + run.stderr
    assert not (elsewhere / "logs").exists()
    assert len(list((home / "logs").glob("wdh_etl_failures_*.csv"))) == 1
    lines = _json_lines(home / "logs" / "workdata.log")
    outcomes = [line for line in lines if line.get("event") == "file_outcome"]
    assert [(o["file_path"], o["status"]) for o in outcomes] == [("dirty.csv", "PARTIAL")]
    assert all({"time", "level", "logger"} <= set(line) for line in lines)


def test_an_unwritable_log_folder_never_stops_the_load(tmp_path):
    home = tmp_path / "home"
    _dirty(home / "inbox")
    (tmp_path / "a_file").write_text("not a folder")
    blocked = {"WORKDATA_HOME": str(home), "WORKDATA_LOGS_DIR": str(tmp_path / "a_file" / "logs")}
    run = _cli(tmp_path, blocked, "run")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "Traceback" not in out
    assert "cannot be written" in out and "logging to the console only" in " ".join(out.split())
    assert "PARTIAL: Processed 1 files" in run.stdout
    # Still broken: the next run says so again and does not crash.
    again = _cli(tmp_path, blocked, "run")
    assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr
    # Fixed: the next run writes the CSV the first could not.
    (tmp_path / "a_file").unlink()
    fixed = _cli(tmp_path, blocked, "run")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "failed record(s) to the session CSVs that earlier runs committed" in fixed.stdout
    assert len(list((tmp_path / "a_file" / "logs").glob("wdh_etl_failures_*.csv"))) == 1


def test_a_full_log_disk_says_so_once(tmp_path):
    home = tmp_path / "home"
    _dirty(home / "inbox")
    (home / "logs").mkdir(parents=True)
    (home / "logs" / "workdata.log").symlink_to("/dev/full")
    run = _cli(tmp_path, {"WORKDATA_HOME": str(home)}, "run")
    out = run.stdout + run.stderr
    assert run.returncode == 3, out
    assert "--- Logging error ---" not in out and "Traceback" not in out
    assert out.count("stopped writing") == 1


def test_a_run_as_the_daemon_launches_it_logs_json_to_workdata_log(settings, instance):
    _dirty(settings.inbox_dir)
    defs = build_definitions(settings)
    instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, ["dirty.csv"])
    plan = RunPlan(DOMAIN, ("dirty.csv",), ("-",))
    defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
        instance=instance, tags=run_tags(plan, "etl_20241130_101500_abc123"), raise_on_error=False
    )
    lines = _json_lines(settings.logs_dir / "workdata.log")
    assert any(line.get("event") == "file_outcome" and line["status"] == "PARTIAL" for line in lines)
