"""Business keys across files, through the real CLI: a re-sent copy is loaded once, a key already loaded
from another file is rejected (default) or replaced (key_policy replace), and `workdata verify` checks it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from workdata.app import open_store
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv import read_failures
from workdata.demo.files import make_rows, write_csv
from workdata_tests.cli_process import clean_env, workdata_in_process

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "annuity_income"
KEY = ["report_month", "plan_code", "company_id", "income_type"]


def _cli(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return workdata_in_process(clean_env(WORKDATA_HOME=str(home), COLUMNS="200", **extra), *args)


def _files(home: Path) -> Path:
    inbox = home / "inbox" / DOMAIN
    first = make_rows(DOMAIN, 1, "2024-07", 1000)
    write_csv(inbox / "income_2024-07.csv", first)
    # The same 100 keys with a corrected name, and 900 rows of another month.
    corrected = [dict(r, customer_name=r["customer_name"] + " Ltd") for r in first[:100]]
    write_csv(inbox / "income_2024-08.csv", corrected + make_rows(DOMAIN, 2, "2024-08", 900))
    return inbox


def _warehouse(home: Path) -> pd.DataFrame:
    store = open_store(WorkdataSettings(home=home))
    with store.connect() as conn:
        return conn.execute(f"SELECT {', '.join(KEY)}, customer_name, _source_file FROM {DOMAIN}").df()


def test_a_resent_copy_is_skipped_naming_the_original(tmp_path):
    inbox = _files(tmp_path)
    (inbox / "income_2024-08.csv").unlink()
    assert _cli(tmp_path, "run").returncode == 0
    shutil.copyfile(inbox / "income_2024-07.csv", inbox / "income_2024-07_resent.csv")
    again = _cli(tmp_path, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Same content as income_2024-07.csv" in again.stdout
    rows = _warehouse(tmp_path)
    assert len(rows) == 1000 and not rows.duplicated(KEY).any()
    state = open_store(WorkdataSettings(home=tmp_path)).get_state(DOMAIN, "income_2024-07_resent.csv")
    assert (state["status"], state["rows_loaded"]) == ("SKIPPED", 0)
    verify = _cli(tmp_path, "verify")
    assert verify.returncode == 0, verify.stdout


def test_a_key_loaded_from_another_file_is_a_failed_record_naming_it(tmp_path):
    _files(tmp_path)
    run = _cli(tmp_path, "run")
    assert run.returncode == 3, run.stdout + run.stderr
    rows = _warehouse(tmp_path)
    assert len(rows) == 1900 and not rows.duplicated(KEY).any()
    # The first file keeps its 100 keys, unchanged.
    assert not rows["customer_name"].str.endswith(" Ltd").any()
    store = open_store(WorkdataSettings(home=tmp_path))
    state = store.get_state(DOMAIN, "income_2024-08.csv")
    assert (state["status"], state["rows_loaded"], state["rows_failed"]) == ("PARTIAL", 900, 100)
    records = store.failed_records(source_file="income_2024-08.csv")
    assert len(records) == 100 and set(records["check"]) == {"unique_across_files"}
    assert records["message"].str.contains("already loaded from income_2024-07.csv").all()
    assert json.loads(records["raw_data"].iloc[0])["customer_name"].endswith(" Ltd")
    logs = sorted((tmp_path / "logs").glob("wdh_etl_failures_*.csv"))
    lines = pd.concat([read_failures(p) for p in logs])
    assert (lines["check"] == "unique_across_files").sum() == 100
    verify = _cli(tmp_path, "verify")
    assert verify.returncode == 0, verify.stdout


def test_replace_lets_the_newer_file_supersede_and_reconciliation_still_holds(tmp_path):
    _files(tmp_path)
    policy = json.dumps({DOMAIN: {"key_policy": "replace"}})
    run = _cli(tmp_path, "run", WORKDATA_POLICIES=policy)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = _warehouse(tmp_path)
    assert len(rows) == 1900 and not rows.duplicated(KEY).any()
    newer = rows[rows["_source_file"] == "income_2024-08.csv"]
    assert len(newer) == 1000 and newer["customer_name"].str.endswith(" Ltd").sum() == 100
    older = open_store(WorkdataSettings(home=tmp_path)).get_state(DOMAIN, "income_2024-07.csv")
    assert (older["rows_total"], older["rows_loaded"], older["rows_superseded"]) == (1000, 900, 100)
    verify = _cli(tmp_path, "verify", WORKDATA_POLICIES=policy)
    assert verify.returncode == 0, verify.stdout
