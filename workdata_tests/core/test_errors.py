import duckdb
import psycopg2
import pytest

from workdata.core.errors import (
    MalformedFileError,
    SchemaMismatchError,
    TransientError,
    classify,
    redact,
)
from workdata.core.records import ErrorCategory


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
        (duckdb.IOException("Could not set lock on file"), ErrorCategory.WRITE_FAILURE, True),
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
    with pytest.raises(psycopg2.OperationalError) as caught:
        psycopg2.connect("postgresql://workdata:hunter2@127.0.0.1:1/warehouse", connect_timeout=2)
    result = classify(caught.value)
    assert (result.category, result.retryable, result.dependency) == (
        ErrorCategory.WRITE_FAILURE,
        True,
        "warehouse",
    )
    assert "hunter2" not in result.error_message
