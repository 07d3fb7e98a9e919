"""What validating inside DuckDB's own engine would cost: the annuity_performance schema's conversions and
built-in checks written as SQL, timed on the speed benchmark's file beside the floor (issue 5's question
whether b/a <= 2.5 needs another division of work). A sketch for planning, not workdata's semantics: no
UTF-8 repair, no decorated or full-width numbers, and rows after a rejected line are numbered wrongly.

Run: .venv/bin/python benchmarks/duckdb_sketch.py [rows]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from workdata.core.domain import MONTH_FORMATS
from workdata.core.engine.validate.reference_tables import load_reference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from ingest_speed import floor, timed

RANGES = {
    "beginning_balance": (0, 1e12),
    "contributions": (0, 1e11),
    "benefit_payments": (0, 1e11),
    "investment_income": (-1e11, 1e11),
    "ending_balance": (0, 1e12),
    "annualized_return": (-1, 1),
    "member_count": (0, 10_000_000),
}
PATTERNS = {"plan_code": r"P\d{4}", "portfolio_code": r"PF\d{3}", "company_id": r"C\d{6}"}
PRODUCTS = "('enterprise_annuity', 'occupational_annuity', 'pension_product')"
READ = "read_csv(?, all_varchar=true, header=true, ignore_errors=true)"


def _typed() -> str:
    formats = ", ".join(f"'{f}'" for f in MONTH_FORMATS)
    columns = [f"try_strptime(trim(report_month), [{formats}]) AS report_month"]
    columns += [
        f"nullif(trim({c}), '') AS {c}" for c in (*PATTERNS, "product_line", "plan_name", "manager_name")
    ]
    columns += [f"TRY_CAST(nullif(trim({c}), '') AS DOUBLE) AS {c}" for c in RANGES]
    return ", ".join(columns)


def _failing() -> dict[str, str]:
    # Per check, the condition a row fails it by.
    checks = {"report_month": "report_month IS NULL"}
    checks |= {c: f"{c} IS NULL OR NOT regexp_full_match({c}, '{p}')" for c, p in PATTERNS.items()}
    checks["product_line"] = f"product_line IS NULL OR product_line NOT IN {PRODUCTS}"
    checks["plan_name"] = (
        "plan_name IS NULL OR length(plan_name) > 120 OR regexp_matches(plan_name, '[\\x00-\\x1f]')"
    )
    checks |= {c: f"{c} IS NULL OR {c} < {lo} OR {c} > {hi}" for c, (lo, hi) in RANGES.items()}
    return checks


def one_pass(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Good rows only: typed and checked in one pass, no failures kept, no row numbers."""
    passing = " AND ".join(f"NOT coalesce({c}, true)" for c in _failing().values())
    conn.execute(
        f"CREATE TABLE good AS SELECT * FROM (SELECT {_typed()} FROM {READ}) WHERE {passing}", [str(path)]
    )


def with_failures(conn: duckdb.DuckDBPyConnection, path: Path) -> set[int]:
    """Row numbers, every check's failures, duplicate keys, references, raw JSON; returns flagged rows."""
    conn.execute(
        f"CREATE TEMP TABLE raw AS SELECT row_number() OVER () AS _row_index, * FROM {READ}",
        [str(path)],
    )
    conn.execute(f"CREATE TEMP TABLE typed AS SELECT _row_index, {_typed()} FROM raw")
    parts = [f"SELECT _row_index, '{c}' AS col FROM typed WHERE {f}" for c, f in _failing().items()]
    parts.append(
        "SELECT _row_index, 'key' FROM (SELECT _row_index, row_number() OVER (PARTITION BY report_month, "
        "plan_code, portfolio_code ORDER BY _row_index) AS n FROM typed) WHERE n > 1"
    )
    for table, key in (("plans", "plan_code"), ("companies", "company_id")):
        conn.register(table, load_reference(table))
        parts.append(f"SELECT _row_index, '{key}' FROM typed ANTI JOIN {table} USING ({key})")
    conn.execute(f"CREATE TEMP TABLE failures AS {' UNION ALL '.join(parts)}")
    conn.execute("CREATE TABLE good AS SELECT * FROM typed ANTI JOIN failures USING (_row_index)")
    conn.execute(
        "CREATE TABLE failed_records AS SELECT f._row_index, f.col, to_json(r) AS raw_data "
        "FROM failures f JOIN raw r USING (_row_index)"
    )
    return {row for (row,) in conn.execute("SELECT DISTINCT _row_index FROM failures").fetchall()}


def _timed(folder: Path, name: str, step, path: Path, repeats: int = 3) -> tuple[float, object]:
    times, result = [], None
    for i in range(repeats):
        with duckdb.connect(str(folder / f"{name}{i}.duckdb")) as conn:
            started = time.perf_counter()
            result = step(conn, path)
            times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(rows: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder, path = Path(name), Path(name) / "bench.csv"
        planted = generate(path, rows, 0.01)
        a = statistics.median(timed(lambda: floor(path, folder), 3))
        varchar, _ = _timed(
            folder, "v", lambda c, p: c.execute(f"CREATE TABLE t AS SELECT * FROM {READ}", [str(p)]), path
        )
        single, _ = _timed(folder, "s", one_pass, path)
        full, flagged = _timed(folder, "f", with_failures, path)
        print(
            f"floor (typed read_csv) {a:.2f}s; "
            f"all-varchar read into a table {varchar:.2f}s ({varchar / a:.1f}x)"
        )
        print(f"one pass, typed and checked, good rows only {single:.2f}s ({single / a:.1f}x)")
        print(
            f"with failures, duplicates, references, raw JSON {full:.2f}s ({full / a:.1f}x); rows flagged "
            f"{len(flagged):,}, at a planted row number {len(flagged & planted):,} of {len(planted):,}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
