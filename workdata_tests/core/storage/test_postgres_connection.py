"""The PostgreSQL connection behind the store: placeholders, and COPY that keeps every value as sent."""

import datetime

import pyarrow as pa
import pytest

from workdata.core.storage.postgres_connection import postgres_connector, to_pyformat
from workdata_tests.pg import fresh_schema

HOSTILE = ["", None, 'a"b', "x,y\nz\r", "tab\tend", "nul\x00byte", "中文", "=cmd|' /C calc'!A0", "\\N"]


def test_placeholders_become_pyformat_and_percent_signs_stay_literal():
    assert to_pyformat("a = ? AND b LIKE '5%' OR c = ?") == "a = %s AND b LIKE '5%%' OR c = %s"


@pytest.fixture
def connect():
    with fresh_schema() as url:
        yield postgres_connector(url.replace("postgresql://", "postgresql+psycopg2://"))


def test_copy_keeps_hostile_text_empty_strings_and_nulls_apart(connect):
    n = len(HOSTILE)
    rows = pa.table(
        {
            "t": pa.array(HOSTILE, pa.large_string()),
            "i": pa.array([*range(n - 1), None], pa.int64()),
            "f": pa.array([0.1 * k for k in range(n)], pa.float64()),
            "d": pa.array([datetime.datetime(2024, 10, k + 1) for k in range(n)], pa.timestamp("ns")),
            "b": pa.array([k % 2 == 0 for k in range(n)], pa.bool_()),
        }
    )
    with connect() as conn:
        conn.execute('CREATE TABLE "w" (t VARCHAR, i BIGINT, f DOUBLE PRECISION, d DATE, b BOOLEAN)')
        conn.insert_arrow('"w"', rows)
        back = conn.execute('SELECT t, i, f, d, b FROM "w" ORDER BY f').fetchall()
        assert conn.execute("""SELECT count(*) FROM "w" WHERE t LIKE '%"%'""").fetchone()[0] == 1
    expected_text = [None if v is None else v.replace("\x00", "\ufffd") for v in HOSTILE]
    assert [r[0] for r in back] == expected_text
    assert [r[1] for r in back] == [*range(n - 1), None]
    assert [r[2] for r in back] == [0.1 * k for k in range(n)]
    assert [r[3] for r in back] == [datetime.date(2024, 10, k + 1) for k in range(n)]
    assert [r[4] for r in back] == [k % 2 == 0 for k in range(n)]
