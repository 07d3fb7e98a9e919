"""`workdata` as a new user runs it: the demo in a real subprocess, then every command on its persistent
instance and real files (in this process: the commands' logic, not their start-up, is under test)."""

import json
import re
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from workdata.core.storage.failure_csv import read_failures
from workdata_tests.cli_process import clean_env, workdata, workdata_in_process


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    env = clean_env(WORKDATA_HOME=str(home), WORKDATA_LOGS_DIR=str(home / "logs"), COLUMNS="200")
    return home, env, workdata(env, "run", "--demo")


def test_demo_prints_summary_link_and_passes_its_check(demo_run):
    home, _, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "PARTIAL: Processed 29 files: 11 loaded, 8 partial, 10 failed" in out
    assert "broken/perf_not_csv.csv" in out and "not a readable CSV" in out
    assert "Demo check passed" in out
    path = re.search(r"Saved failure log to (\S+)", out).group(1)
    assert Path(path).parent == home / "logs"
    assert re.fullmatch(r"wdh_etl_failures_etl_\d{8}_\d{6}_[0-9a-f]{6}\.csv", Path(path).name)
    assert len(read_failures(Path(path))) > 0
    assert "Traceback" not in result.stderr


def test_runs_persist_in_the_instance_for_the_ui(demo_run):
    home, _, _ = demo_run
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster_home")))
    runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"ingest_annuity_performance", "ingest_annuity_income"}
    assert len(runs) == 2
    assert all(r.tags["workdata/session_id"].startswith("etl_") for r in runs)
    assert (home / "dagster_home" / "dagster.yaml").exists()
    keys = instance.get_dynamic_partitions("annuity_income_files")
    assert len(keys) == 18  # 11 files, the real-world three and the four business-shaped ones


def test_second_run_finds_nothing_new_and_export_regenerates_the_csv(demo_run, tmp_path):
    home, env, first = demo_run
    again = workdata_in_process(env, "run")
    assert again.returncode == 0 and "Nothing new" in again.stdout
    session = re.search(r"Session (etl_\S+):", first.stdout).group(1)
    out = tmp_path / "export.csv"
    exported = workdata_in_process(env, "failures", "export", "--session", session, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    original = read_failures(home / "logs" / f"wdh_etl_failures_{session}.csv")
    regenerated = read_failures(out)
    key = ["source_file", "row_index", "error_type", "column", "raw_data", "message"]
    assert sorted(map(tuple, original[key].to_numpy())) == sorted(map(tuple, regenerated[key].to_numpy()))


def test_exit_status_is_the_honest_outcome(demo_run):
    home, env, _ = demo_run
    inbox = home / "inbox" / "annuity_income"
    (inbox / "zz_new_empty.csv").write_bytes(b"")
    failed = workdata_in_process(env, "run")
    assert failed.returncode == 1, failed.stdout
    assert "zz_new_empty.csv" in failed.stdout and "FAILED: Processed 1 files" in failed.stdout
    (inbox / "zz_new_header_only.csv").write_text("report_month,plan_code\n")
    # A few rows of another month (the same month's keys are loaded already, from income_2024-07.csv).
    (inbox / "zz_new_good.csv").write_text(
        (inbox / "income_2024-07.csv").read_text()[:300].rsplit("\n", 1)[0].replace("2024-07", "2023-07")
    )
    partial = workdata_in_process(env, "run")
    assert partial.returncode == 3, partial.stdout
    assert "PARTIAL: Processed 2 files: 1 loaded, 0 partial, 1 failed" in partial.stdout


def test_status_and_failures_list_for_scripts(demo_run):
    _, env, _ = demo_run
    runs = json.loads(workdata_in_process(env, "status", "--json").stdout)["runs"]
    demo_runs = [r for r in runs if r["files_failed"] == 5]
    assert {r["status"] for r in demo_runs} == {"PARTIAL"} and len(demo_runs) == 2
    assert demo_runs[0]["top_errors"][0]["category"] in {"data_malformed", "schema_mismatch"}
    listed = workdata_in_process(env, "failures", "list", "--json", "--category", "schema_mismatch")
    files = json.loads(listed.stdout)
    assert {f["file_path"] for f in files} == {
        "broken/perf_missing_column.csv",
        "broken/income_missing_column.csv",
    }
    assert all(f["retryable"] is False and f["attempts"] == 1 for f in files)
    human = workdata_in_process(env, "failures", "list", "--domain", "annuity_income", "--retryable", "no")
    assert "income_not_csv.csv" in human.stdout and "not retryable" in human.stdout
    assert "perf_" not in human.stdout


def test_every_file_outcome_is_one_json_line_in_the_log(demo_run):
    home, _, _ = demo_run
    lines = [
        line for line in (home / "logs" / "workdata.log").read_text().splitlines() if "file_outcome" in line
    ]
    events = [json.loads(line[line.index("{") :]) for line in lines]
    first_session = [e for e in events if e["session_id"] == events[0]["session_id"]]
    assert len(first_session) == 29
    assert {e["status"] for e in first_session} == {"SUCCESS", "PARTIAL", "FAILED"}
    assert all(e["error_category"] for e in first_session if e["status"] == "FAILED")


def test_bad_arguments_are_refused_plainly(demo_run):
    _, env, _ = demo_run
    assert workdata_in_process(env, "run", "--domain", "nope").returncode == 2
    assert workdata_in_process(env, "failures", "export", "--session", "../../etc").returncode == 2


def test_recovery_commands(demo_run):
    home, env, _ = demo_run
    verified = workdata_in_process(env, "verify")
    assert verified.returncode == 0 and "All invariants hold" in verified.stdout, verified.stdout
    figures = json.loads(workdata_in_process(env, "stats", "--json").stdout)
    assert figures["files_by_status"]["FAILED"] >= 10
    assert set(figures["circuits"].values()) == {"closed"}
    assert workdata_in_process(env, "clear").returncode == 2
    assert workdata_in_process(env, "release", "annuity_income/broken/income_empty.csv").returncode == 1
    replayed = workdata_in_process(env, "replay", "--domain", "annuity_income")
    assert replayed.returncode == 0 and "0 now pass" in replayed.stdout

    retried = workdata_in_process(
        env, "retry", "--domain", "annuity_income", "--file", "broken/income_not_csv.csv"
    )
    assert retried.returncode == 1 and "Retrying 1 file(s) now." in retried.stdout
    attempts = json.loads(
        workdata_in_process(env, "failures", "list", "--json", "--domain", "annuity_income").stdout
    )
    assert {f["file_path"]: f["attempts"] for f in attempts}["broken/income_not_csv.csv"] == 2

    inbox = home / "inbox" / "annuity_performance"
    (inbox / "copy_of_bad.csv").write_bytes((inbox / "broken" / "perf_not_csv.csv").read_bytes())
    skipped = workdata_in_process(env, "run", "--skip-failed")
    assert skipped.returncode == 0, skipped.stdout
    assert "copy_of_bad.csv" in skipped.stdout and "SKIPPED" in skipped.stdout
    assert workdata_in_process(env, "verify").returncode == 0  # still whole after retries, replays and skips


def test_an_unreachable_postgres_store_is_one_plain_sentence_without_its_password(tmp_path):
    env = clean_env(
        WORKDATA_HOME=str(tmp_path),
        WORKDATA_LOGS_DIR=str(tmp_path / "logs"),
        WORKDATA_STORE_URL="postgresql://workdata:hunter2@127.0.0.1:1/warehouse",
    )
    result = workdata_in_process(env, "status")
    assert result.returncode == 1
    assert "The warehouse cannot be used" in result.stderr and "Connection refused" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
