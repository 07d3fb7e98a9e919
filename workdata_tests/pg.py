"""The PostgreSQL server of the tests: reachable or a clear skip reason, one fresh schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

import psycopg2
import psycopg2.errors
import pytest

SERVER = os.environ.get("WORKDATA_TEST_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("WORKDATA_TEST_PG_DATABASE", "workdata_test")
BACKENDS = ["duckdb", "postgres"]


@cache
def unreachable_reason() -> str | None:
    """Why the test database cannot be used, or None; creates it when the server lacks it."""
    try:
        with _connect(f"{SERVER}/postgres") as conn:
            cursor = conn.cursor()
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    except psycopg2.errors.DuplicateDatabase:
        pass  # another test worker created it a moment ago
    except psycopg2.Error as exc:
        return f"PostgreSQL at {SERVER} is not reachable ({str(exc).strip().splitlines()[0]})"
    return None


def require_postgres() -> None:
    """Skip the calling test, with the reason, when no PostgreSQL server is reachable."""
    reason = unreachable_reason()
    if reason:
        pytest.skip(reason)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """The URL of the test database with its search_path on a new, empty schema (dropped afterwards)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _connect(f"{SERVER}/{DATABASE}") as conn:
        conn.cursor().execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{SERVER}/{DATABASE}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with _connect(f"{SERVER}/{DATABASE}") as conn:
            conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def _connect(url: str):
    conn = psycopg2.connect(url, connect_timeout=3)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


if __name__ == "__main__":
    print(unreachable_reason() or f"PostgreSQL test database {DATABASE} ready at {SERVER}")
