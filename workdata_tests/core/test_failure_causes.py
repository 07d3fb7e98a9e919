"""Each failure category from a real cause, through the real pipeline and ledger."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from workdata.core.domain import Domain
from workdata.core.ingest_context import Ingest
from workdata.core.pipeline import process_file
from workdata.core.records import ErrorCategory, FileStatus
from workdata.core.storage.duckdb_connection import duckdb_connector
from workdata.core.storage.store import Store
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]


def ingest(domain, path, store, run, settings):
    return process_file(
        domain, path, path.name, Ingest(store, run, settings.failure_log_path(run.session_id))
    )


def clean_file(settings, name="f.csv") -> Path:
    path = settings.inbox_dir / INCOME.name / name
    write_csv(path, make_rows(INCOME.name, 9, "2024-10", 20))
    return path


def test_unreadable_file_is_data_malformed(settings, store, run):
    path = settings.inbox_dir / INCOME.name / "photo.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    outcome = ingest(INCOME, path, store, run, settings)
    assert (outcome.error_category, outcome.retryable) == (ErrorCategory.DATA_MALFORMED, False)
    assert store.get_state(INCOME.name, "photo.csv")["user_message"] == outcome.user_message


def test_missing_column_is_schema_mismatch_naming_it(settings, store, run):
    path = settings.inbox_dir / INCOME.name / "f.csv"
    rows = [{k: v for k, v in r.items() if k != "fee_rate"} for r in make_rows(INCOME.name, 9, "2024-10", 5)]
    write_csv(path, rows)
    outcome = ingest(INCOME, path, store, run, settings)
    assert (outcome.error_category, outcome.retryable) == (ErrorCategory.SCHEMA_MISMATCH, False)
    assert "fee_rate" in outcome.user_message


HOLD_LOCK = """
import duckdb, sys, time
conn = duckdb.connect(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS held (x INT)")
print("locked", flush=True)
time.sleep(60)
"""


def test_duckdb_locked_by_another_process_is_a_retryable_write_failure(settings, run):
    path = clean_file(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.duckdb_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        store = Store(duckdb_connector(settings.duckdb_path, attempts=2, first_wait=0.05), DOMAINS.values())
        outcome = ingest(INCOME, path, store, run, settings)
    finally:
        holder.kill()
        holder.wait()
    assert outcome.status is FileStatus.FAILED
    assert (outcome.error_category, outcome.retryable) == (ErrorCategory.WRITE_FAILURE, True)
    assert "lock" in outcome.error_message.lower()

    # Once the other process is gone the same file loads, with nothing to repair by hand.
    store = Store(duckdb_connector(settings.duckdb_path), DOMAINS.values())
    store.ensure_schema()
    assert ingest(INCOME, path, store, run, settings).status is FileStatus.SUCCESS


READ_AS_NOBODY = """
import os, sys
from pathlib import Path
from workdata.core.errors import classify
from workdata.core.engine.read.files import read_raw
# Import first: the interpreter's own files may not be readable by 'nobody'.
os.setgid(65534); os.setuid(65534)
try:
    read_raw(Path(sys.argv[1]))
except Exception as exc:
    c = classify(exc)
    print(c.category, c.retryable, c.user_message, sep="|")
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_permission_denied_is_auth():
    # Root reads any file, so the reader runs as 'nobody' against a file only root may read.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        path = Path(folder) / "secret.csv"
        path.write_text("a,b\n1,2\n")
        os.chmod(path, 0o600)
        result = subprocess.run(
            [sys.executable, "-c", READ_AS_NOBODY, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
    category, retryable, message = result.stdout.strip().split("|")
    assert (category, retryable) == ("auth", "False"), result.stderr
    assert "permissions" in message


class Crashing(pa.DataFrameModel):
    amount: Series[float]

    @pa.check("amount")
    def ratio_to_first(cls, amount: pd.Series) -> pd.Series:
        return amount / amount.iloc[99] > 0  # a real bug: assumes at least 100 rows


CRASHING = Domain(name="crashing", schema=Crashing, description="A domain whose rule has a bug.")


def test_a_crashing_rule_is_unknown_and_retryable_never_a_silent_pass(settings, run):
    store = Store(duckdb_connector(settings.duckdb_path), [CRASHING])
    store.ensure_schema()
    path = settings.inbox_dir / "crashing" / "f.csv"
    path.parent.mkdir(parents=True)
    path.write_text("amount\n1\n2\n")
    outcome = ingest(CRASHING, path, store, run, settings)
    assert outcome.status is FileStatus.FAILED
    assert (outcome.error_category, outcome.retryable) == (ErrorCategory.UNKNOWN, True)
    assert "ratio_to_first" in outcome.user_message
    assert store.get_state("crashing", "f.csv")["error_category"] == "unknown"


def test_open_circuit_means_not_attempted_and_retry_at_the_probe_time(settings, store, run):
    from datetime import timedelta

    from workdata.core.storage.circuit import CircuitBreakers, FileCircuitState

    breakers = CircuitBreakers(
        FileCircuitState(settings.home / "circuits.json"), threshold=1, cooldown=timedelta(minutes=10)
    )
    breakers.record("reference:plans", ok=False)
    path = clean_file(settings)
    ingest = Ingest(store, run, settings.failure_log_path(run.session_id), breakers=breakers)
    outcome = process_file(INCOME, path, path.name, ingest)
    assert (outcome.status, outcome.error_category, outcome.retryable) == (
        FileStatus.FAILED,
        ErrorCategory.CONNECTIVITY,
        True,
    )
    assert outcome.user_message.startswith("Dependency reference:plans unavailable, retrying at ")
    state = store.get_state(INCOME.name, path.name)
    assert state["attempts"] == 0 and state["next_retry_at"] is not None
    assert breakers.states()["reference:plans"].failures == 1  # a skipped attempt teaches nothing
