"""Honest edges through the real CLI: dead letters, settings and arguments (one sentence, exit 2)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from workdata.cli import main
from workdata.core.records import FileStatus
from workdata_tests.cli_process import clean_env, workdata_in_process

REPO = Path(__file__).resolve().parents[2]
GOOD_HEADER = (
    "report_month,plan_code,company_id,product_line,income_type,fee_rate,fee_base,income_amount,"
    "customer_name,invoice_count\n"
)
DEAD_LETTER_POLICY = json.dumps({"annuity_income": {"dead_letter_categories": ["schema_mismatch"]}})


@pytest.fixture(scope="module")
def home_env(tmp_path_factory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("edges")
    env = {k: v for k, v in clean_env().items() if k != "COLUMNS"}
    env |= {"WORKDATA_HOME": str(home), "WORKDATA_LOGS_DIR": str(home / "logs")}
    return home, env


@pytest.fixture(scope="module")
def dead_letter_run(home_env) -> subprocess.CompletedProcess:
    home, env = home_env
    inbox = home / "inbox" / "annuity_income"
    inbox.mkdir(parents=True)
    (inbox / "missing_columns.csv").write_text("report_month,plan_code\n2024-01,P0001\n", encoding="utf-8")
    return workdata_in_process(env | {"WORKDATA_POLICIES": DEAD_LETTER_POLICY}, "run")


def test_a_dead_letter_run_ends_failed_with_a_summary_and_no_traceback(dead_letter_run):
    out = dead_letter_run.stdout
    assert dead_letter_run.returncode == 1, out + dead_letter_run.stderr
    assert "Traceback" not in dead_letter_run.stderr + out
    assert "FAILED: Processed 1 files: 0 loaded, 0 partial, 0 failed, 1 dead-lettered" in out
    assert "dead letter" in out and "missing_columns.csv" in out


def test_status_and_failures_list_show_the_dead_letter(home_env, dead_letter_run):
    _, env = home_env
    status = json.loads(workdata_in_process(env, "status", "--json").stdout)
    latest = status["runs"][0]
    assert (latest["status"], latest["files_dead_letter"], latest["files_success"]) == ("FAILED", 1, 0)
    table = workdata_in_process(env, "status").stdout
    assert "dead letter" in table and "FAILED" in table
    listed = json.loads(workdata_in_process(env, "failures", "list", "--json").stdout)
    assert [(f["file_path"], f["status"]) for f in listed] == [("missing_columns.csv", "DEAD_LETTER")]
    assert listed[0]["quarantine_path"]
    only_failed = json.loads(
        workdata_in_process(env, "failures", "list", "--status", "FAILED", "--json").stdout
    )
    assert only_failed == []
    rendered = workdata_in_process(env, "failures", "list").stdout
    # Without a terminal the table is not cut to 80 columns.
    assert "annuity_income/missing_columns.csv" in rendered and "schema_mismatch" in rendered
    assert "DEAD_LETTER" in rendered


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        ("WORKDATA_POLICIES", "{bad", "WORKDATA_POLICIES is not valid JSON"),
        ("WORKDATA_POLICIES", '{"annuity_incom": {}}', "unknown domain 'annuity_incom'"),
        (
            "WORKDATA_POLICIES",
            '{"annuity_income": {"max_bad_row_ration": 0.1}}',
            "unknown key 'max_bad_row_ration'; allowed keys: mode, warn_bad_row_ratio, max_bad_row_ratio",
        ),
        ("WORKDATA_POLICIES", '{"annuity_income": {"mode": "strict"}}', "'permissive' or 'failfast'"),
        (
            "WORKDATA_POLICIES",
            '{"annuity_income": {"read": {"encodings": ["klingon"]}}}',
            "read.encodings is not allowed: 'klingon' is not a text encoding Python knows",
        ),
        ("WORKDATA_RETRY", '{"max_attempts": 0}', "WORKDATA_RETRY.max_attempts is not allowed (given 0)"),
        ("WORKDATA_RETRY", '{"max_attempt": 3}', "unknown key 'max_attempt'"),
    ],
)
def test_a_bad_setting_is_one_sentence_and_exit_2(monkeypatch, capsys, tmp_path, variable, value, names):
    # In process: main() is the console script's entry, and a bad setting stops it before any work.
    monkeypatch.setenv("WORKDATA_HOME", str(tmp_path))
    monkeypatch.setenv(variable, value)
    assert main(["status"]) == 2
    message = " ".join(capsys.readouterr().err.split())
    assert names in message and "Traceback" not in message
    assert message.count(". ") <= 1  # one sentence (the JSON error's own text aside)


@pytest.mark.parametrize(
    "args",
    [
        ("replay", "--domain", "nope"),
        ("status", "--limit", "-3"),
        ("failures", "list", "--page-size", "-1"),
        ("failures", "list", "--category", "malformed"),
        ("failures", "list", "--status", "PENDING"),
        ("retry", "--domain", "annuity_incom"),
        ("retry", "--category", "nope"),
        ("replay", "--error-type", "BAD"),
        ("clear", "--status", "DONE", "--yes"),
        ("failures", "export", "--session", "nope"),
        ("run", "--domain", "nope"),
    ],
)
def test_a_bad_argument_names_what_is_allowed_and_exits_2(capsys, args):
    with pytest.raises(SystemExit) as stopped:
        main(list(args))  # argparse refuses it before anything runs
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "move it aside" not in err
    assert "error: argument" in err and ("choose from" in err or "is not" in err)


def test_exporting_an_unknown_session_says_so(home_env, dead_letter_run):
    _, env = home_env
    result = workdata_in_process(env, "failures", "export", "--session", "etl_20200101_000000_abcdef")
    assert result.returncode == 2
    assert "No run of session etl_20200101_000000_abcdef is recorded" in " ".join(result.stdout.split())


def test_every_file_status_renders_in_the_run_table():
    import pandas as pd
    from rich.console import Console

    from workdata.cli.render import summary_table

    rows = pd.DataFrame(
        [
            {"file_path": f"{s.lower()}.csv", "status": s.value, "rows_total": 1, "rows_loaded": 1}
            | {"rows_failed": 0, "top_reason": "[/] not markup"}
            for s in FileStatus
        ]
    )
    console = Console(width=200, record=True)
    console.print(summary_table("annuity_income", rows))
    text = console.export_text()
    assert all(s.value in text for s in FileStatus) and "[/] not markup" in text
