"""Ingest speed: on one generated file with planted defects, in one process, time
(a) the floor: DuckDB read_csv with explicit types into a table, (b) workdata's full path for the file,
(c) a naive pandas + pandera coerce=True pipeline on a slice (extrapolated). Prints medians, ratios,
rows/s and recall / false positives against the ground truth.

Run: .venv/bin/python benchmarks/ingest_speed.py [rows] [bad_ratio] [repeats]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from workdata.core.ingest_context import Ingest
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file
from workdata.core.storage.duckdb_connection import duckdb_connector
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

DOMAIN = DOMAINS["annuity_performance"]
NAIVE_SLICE = 100_000


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def floor(path: Path, folder: Path) -> None:
    types = {c.name: c.kind.sql_type for c in DOMAIN.columns}
    types["report_month"] = "VARCHAR"  # the floor does not even parse the month format
    with duckdb.connect(str(folder / "floor.duckdb")) as conn:
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute(
            "CREATE TABLE t AS SELECT * FROM read_csv(?, header=true, columns=?, ignore_errors=true)",
            [str(path), types],
        )


def workdata_path(path: Path, folder: Path, counter: list[int]) -> tuple:
    counter[0] += 1
    store = Store(duckdb_connector(folder / f"w{counter[0]}.duckdb"), DOMAINS.values())
    store.ensure_schema()
    run = RunContext(f"etl_20241130_101500_{counter[0]:06x}")
    ingest = Ingest(store, run, folder / f"log{counter[0]}.csv")
    outcome = process_file(DOMAIN, path, path.name, ingest)
    return outcome, store


def naive(path: Path) -> None:
    frame = pd.read_csv(path, nrows=NAIVE_SLICE, dtype=str, on_bad_lines="skip", encoding_errors="replace")
    schema = DOMAIN.pandera_schema.update_columns({n: {"nullable": False} for n in DOMAIN.required_columns})
    schema.coerce = True
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors:
        pass


def main(rows: int = 1_000_000, ratio: float = 0.01, repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "bench.csv"
        planted = generate(path, rows, ratio)
        print(f"{rows:,} rows, {path.stat().st_size / 1e6:.0f} MB, {len(planted):,} planted bad rows")
        a_times = timed(lambda: floor(path, folder), repeats)
        a = statistics.median(a_times)
        counter, results = [0], []
        b_times = timed(lambda: results.append(workdata_path(path, folder, counter)), repeats)
        b = statistics.median(b_times)
        c_slice = statistics.median(timed(lambda: naive(path), 1))
        c = c_slice * rows / min(rows, NAIVE_SLICE)
        outcome, store = results[-1]
        found = set(store.failed_records()["row_index"])
        print(f"(a) DuckDB typed read_csv floor   median {a:.2f}s  range {_spread(a_times)}")
        print(
            f"(b) workdata full path            median {b:.2f}s  range {_spread(b_times)}  "
            f"{rows / b:,.0f} rows/s  b/a = {b / a:.1f}"
        )
        sliced = min(rows, NAIVE_SLICE)
        print(
            f"(c) pandas+pandera coerce=True    {c:.2f}s (extrapolated from {sliced:,} rows)  "
            f"c/b = {c / b:.1f}"
        )
        recall = len(planted & found) / len(planted) if planted else 1.0
        print(
            f"recall {recall:.1%}, false positives {len(found - planted)}, "
            f"outcome {outcome.status} {outcome.rows_loaded:,} loaded / {outcome.rows_failed:,} failed"
        )


def bad_ratio_cost(rows: int = 1_000_000, repeats: int = 2) -> None:
    """workdata's time at 10% bad rows against 0%, same size, same process."""
    with tempfile.TemporaryDirectory() as name:
        folder, medians, counter = Path(name), {}, [0]
        for ratio in (0.0, 0.10):
            path = folder / f"bench_{ratio}.csv"
            generate(path, rows, ratio)
            medians[ratio] = statistics.median(
                timed(lambda p=path: workdata_path(p, folder, counter), repeats)
            )
        print(
            f"{rows:,} rows: 0% bad {medians[0.0]:.2f}s, 10% bad {medians[0.10]:.2f}s, "
            f"10%/0% = {medians[0.10] / medians[0.0]:.2f}"
        )


def _spread(times: list[float]) -> str:
    return f"{min(times):.2f}-{max(times):.2f}s"


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 1_000_000,
        float(args[1]) if len(args) > 1 else 0.01,
        int(args[2]) if len(args) > 2 else 3,
    )
