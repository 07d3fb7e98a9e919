"""A Dagster instance left half made by a killed first run is completed, not a traceback on every run."""

import sqlite3

from workdata.demo.files import make_rows, write_csv
from workdata_tests.cli_process import clean_env, workdata_in_process


def test_an_instance_missing_its_partitions_table_is_migrated(tmp_path):
    env = clean_env(WORKDATA_HOME=str(tmp_path), WORKDATA_LOGS_DIR=str(tmp_path / "logs"), COLUMNS="200")
    write_csv(tmp_path / "inbox" / "annuity_income" / "a.csv", make_rows("annuity_income", 1, "2024-01", 5))
    assert workdata_in_process(env, "run").returncode == 0
    # What the crash soak found after a SIGKILL during the very first run's instance creation: once
    # SQLite rolled back the killed transaction, the event-log index held only `event_logs`.
    index = next(tmp_path.rglob("history/runs/index.db"))
    with sqlite3.connect(index) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'event_logs'")
        for (name,) in tables.fetchall():
            conn.execute(f'DROP TABLE "{name}"')
    write_csv(tmp_path / "inbox" / "annuity_income" / "b.csv", make_rows("annuity_income", 2, "2024-02", 5))
    again = workdata_in_process(env, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Traceback" not in again.stdout + again.stderr
    assert "Processed 1 files: 1 loaded" in again.stdout
