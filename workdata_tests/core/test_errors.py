import subprocess
import sys

import duckdb
import psycopg2
import pytest

from workdata.core.errors import (
    MalformedFileError,
    SchemaMismatchError,
    TransientError,
    WarehouseError,
    classify,
    redact,
)
from workdata.core.records import ErrorCategory, Stage
from workdata.core.storage.duckdb_connection import duckdb_connector
from workdata.core.storage.postgres_connection import postgres_connector


def test_secrets_are_redacted_and_messages_capped():
    text = redact("postgresql://user:hunter2@db:5432/x password=hunter2 token=abc&x=1 " + "y" * 5000)
    assert "hunter2" not in text and "abc" not in text
    assert "user:***@db" in text and "password=***" in text
    assert len(text) <= 2048


@pytest.mark.parametrize(
    ("exc", "category", "retryable"),
    [
        (MalformedFileError("bad"), ErrorCategory.DATA_MALFORMED, False),
        (SchemaMismatchError(["a"], ["b"]), ErrorCategory.SCHEMA_MISMATCH, False),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), ErrorCategory.DATA_MALFORMED, False),
        (PermissionError("denied"), ErrorCategory.AUTH, False),
        (TimeoutError("slow"), ErrorCategory.CONNECTIVITY, True),
        (WarehouseError(duckdb.IOException("Could not set lock on file")), ErrorCategory.WRITE_FAILURE, True),
        (RuntimeError("boom"), ErrorCategory.UNKNOWN, True),
    ],
)
def test_classification(exc, category, retryable):
    result = classify(exc)
    assert (result.category, result.retryable) == (category, retryable)
    assert 0 < len(result.user_message) < 200
    assert type(exc).__name__ in result.error_message


def test_transient_errors_are_retryable_by_type():
    class FlakyShare(TransientError):
        category = ErrorCategory.CONNECTIVITY

    assert classify(FlakyShare("share offline")).retryable is True


def test_an_unreachable_postgres_store_is_a_retryable_write_failure_without_its_password():
    connect = postgres_connector("postgresql://workdata:hunter2@127.0.0.1:1/warehouse?connect_timeout=2")
    with pytest.raises(WarehouseError) as caught, connect():
        pass
    assert isinstance(caught.value.__cause__, psycopg2.OperationalError)  # classified by the adapter
    result = classify(caught.value)
    assert (result.category, result.retryable, result.dependency) == (
        ErrorCategory.WRITE_FAILURE,
        True,
        "warehouse",
    )
    assert "hunter2" not in result.error_message


def test_a_duckdb_file_locked_by_another_process_is_a_retryable_write_failure(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseError) as caught, duckdb_connector(path, attempts=2, first_wait=0.01)():
            pass
    finally:
        holder.kill()
        holder.wait()
    assert isinstance(caught.value.__cause__, duckdb.IOException)  # classified by the adapter
    result = classify(caught.value, Stage.LOAD)
    assert (result.category, result.retryable, result.dependency, result.stage) == (
        ErrorCategory.WRITE_FAILURE,
        True,
        "warehouse",
        Stage.LOAD,
    )


HOLD_LOCK = """
import sys, time
import duckdb
connection = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""
