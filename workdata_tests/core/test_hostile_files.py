"""Hostile files (hypothesis): whatever the bytes, the pipeline never crashes, every file ends ledgered
with a category and a message when it failed, and every parsed row is loaded or captured."""

import csv
import gzip
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workdata.core.ingest_context import Ingest
from workdata.core.operations.invariants import reconciliation_violations, unrecorded_failures
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file
from workdata.core.records import FileStatus
from workdata.core.storage.duckdb_connection import Connector, DuckConnection, warehouse_faults
from workdata.core.storage.store import Store
from workdata.domains import DOMAINS

# An exception swallowed inside a parser callback is a row silently lost: make it fail the test.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
INCOME = DOMAINS["annuity_income"]
HEADER = list(INCOME.pandera_schema.columns)
# CI tries 50 examples per property (about 225 files); WORKDATA_FUZZ_EXAMPLES raises it for a soak.
EXAMPLES = settings(
    max_examples=int(os.environ.get("WORKDATA_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "2024-11", "P0001", "C100001", "1e308", "-0", "NaN", "=1+1", '"', "\r\n", "\x00"]),
    st.text(alphabet="0123456789.,-%", max_size=12),
)


def one_connection(path: Path) -> Connector:
    """A connector that hands out one open DuckDB connection: opening DuckDB 3-4 times an example cost
    more than most examples' own work (benchmarks/README.md). Transactions and rollbacks stay the store's."""
    connection = DuckConnection(duckdb.connect(str(path)))

    @contextmanager
    def connect() -> Iterator[DuckConnection]:
        with warehouse_faults():
            yield connection

    return connect


class World:
    """One store on one connection for many examples (a fresh DuckDB per example, or per store
    operation, would dominate the run time)."""

    def __init__(self, root):
        self.root = root
        self.store = Store(one_connection(root / "w.duckdb"), DOMAINS.values())
        self.store.ensure_schema()
        self.count = 0

    def ingest(self, name: str, data: bytes):
        self.count += 1
        key = f"{self.count:05d}_{name}"
        path = self.root / "inbox" / INCOME.name / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        run = RunContext("etl_20241130_101500_abc123", "fuzz")
        outcome = process_file(INCOME, path, key, Ingest(self.store, run, self.root / "log.csv"))
        state = self.store.get_state(INCOME.name, key)
        assert state is not None and state["status"] == outcome.status
        if outcome.status is FileStatus.FAILED:
            assert outcome.error_category and 0 < len(outcome.user_message) < 400
        else:
            assert outcome.rows_total == outcome.rows_loaded + outcome.rows_failed
        return outcome


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("fuzz"))
    yield world
    assert reconciliation_violations(world.store) == []
    assert unrecorded_failures(world.store) == []


@EXAMPLES
@given(
    data=st.binary(max_size=4000),
    name=st.sampled_from(["x.csv", "x.jsonl", "x.parquet", "x.xlsx", "x.csv.gz"]),
)
def test_random_bytes_under_any_name(world, data, name):
    world.ingest(name, data)


@EXAMPLES
@given(
    rows=st.lists(st.lists(cells, max_size=14), max_size=30),
    header=st.one_of(st.just(HEADER), st.lists(st.sampled_from([*HEADER, "", "x"]), max_size=14)),
    bom=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1"]),
)
def test_csv_shaped_garbage(world, rows, header, bom, newline, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    world.ingest("x.csv", (b"\xef\xbb\xbf" if bom else b"") + data)


@EXAMPLES
@given(
    lines=st.lists(
        st.one_of(
            st.dictionaries(st.sampled_from([*HEADER, "extra"]), cells, max_size=12),
            st.recursive(
                st.none() | st.integers() | st.text(max_size=5),
                lambda inner: (
                    st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
                ),
                max_leaves=30,
            ),
        ),
        max_size=20,
    ),
    cut=st.integers(min_value=0, max_value=3),
)
def test_json_lines_nested_and_cut(world, lines, cut):
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    world.ingest("x.jsonl", text.encode()[: len(text.encode()) - cut])


@EXAMPLES
@given(
    rows=st.lists(st.lists(cells, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=20),
    keep=st.floats(min_value=0.0, max_value=1.0),
    gzipped=st.booleans(),
)
def test_parquet_whole_or_truncated_and_gzip_behind_a_csv_name(world, rows, keep, gzipped):
    buffer = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(HEADER)}), buffer)
    data = buffer.getvalue()
    world.ingest("x.parquet", data[: max(1, int(len(data) * keep))] if keep < 1 else data)
    if gzipped:
        text = "\n".join(
            ",".join(HEADER if i == 0 else [c.replace(",", " ") for c in r]) for i, r in enumerate(rows)
        )
        world.ingest("x.csv", gzip.compress(text.encode("utf-8", "replace")))


def test_wide_and_long_extremes(world):
    world.ingest(
        "wide.csv", (",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n").encode()
    )
    world.ingest("dupe.csv", b"plan_code,plan_code\nP0001,P0002\n")
    world.ingest("empty_header.csv", b",,\n1,2,3\n")
    world.ingest("long_field.csv", (",".join(HEADER) + "\n" + "x" * 5_000_000 + "\n").encode())
    world.ingest("zero.csv", b"\x00" * 10_000)
