"""Large files in blocks: the same outcome, warehouse rows and failed records as reading the file whole."""

import gzip
from dataclasses import replace

import pandas as pd
import pytest

from workdata.app import open_store
from workdata.core.engine.read.csv_stream import expanded_size, iter_csv_chunks
from workdata.core.engine.read.files import read_raw
from workdata.core.engine.read.raw_table import ReadOptions
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file
from workdata.core.policy import DomainPolicy, ReaderSettings
from workdata.core.settings import WorkdataSettings
from workdata.demo.files import make_rows, write_csv
from workdata.demo.inbox import write_demo
from workdata.domains import DOMAINS
from workdata_tests.conftest import TEST_BIG_ROWS
from workdata_tests.pg import BACKENDS

# Blocks of 8 KB validated 100+ rows at a time: every demo CSV is cut into many blocks and batches, rows
# and quoted newlines across their edges.
IN_BLOCKS = DomainPolicy(
    read=ReaderSettings(stream_over_mb=0, stream_block_mb=8 / 1024, stream_batch_rows=100)
)
RUN = RunContext("etl_20241130_101500_abc123", "run-1")


def ingest_everything(tmp_path, name, policy, demo_root):
    settings = WorkdataSettings(home=tmp_path / name, logs_dir=tmp_path / name / "logs")
    store = open_store(settings)
    outcomes = {}
    for path in sorted(p for p in demo_root.rglob("*") if p.is_file()):
        domain = DOMAINS[path.relative_to(demo_root).parts[0]]
        key = path.relative_to(demo_root / domain.name).as_posix()
        ingest = Ingest(store, RUN, settings.failure_log_path(RUN.session_id), policy=policy)
        outcome = process_file(domain, path, key, ingest)
        outcomes[(domain.name, key)] = replace(outcome, failure_log_path=None)
    return store, outcomes


def contents(store):
    with store.connect() as conn:
        tables = {name: conn.execute(f'SELECT * EXCLUDE (_loaded_at) FROM "{name}"').df() for name in DOMAINS}
        tables["failed_records"] = conn.execute("SELECT * EXCLUDE (timestamp) FROM failed_records").df()
    return {n: t.sort_values(list(t.columns)).reset_index(drop=True) for n, t in tables.items()}


def test_blocks_and_whole_files_end_in_the_same_state(tmp_path):
    demo_root = tmp_path / "inbox"
    write_demo(demo_root, big_rows=TEST_BIG_ROWS)
    whole_store, whole = ingest_everything(tmp_path, "whole", DomainPolicy(), demo_root)
    block_store, blocks = ingest_everything(tmp_path, "blocks", IN_BLOCKS, demo_root)
    assert blocks == whole
    whole_tables, block_tables = contents(whole_store), contents(block_store)
    for name, table in whole_tables.items():
        pd.testing.assert_frame_equal(block_tables[name], table, check_dtype=False)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_a_business_key_repeated_in_a_later_block_is_a_duplicate(tmp_path, store):
    rows = make_rows("annuity_income", 7, "2024-10", 400)
    write_csv(tmp_path / "f.csv", [*rows, rows[3], rows[0]])
    options = ReadOptions(block_bytes=2048, batch_rows=50)
    assert len(list(iter_csv_chunks(tmp_path / "f.csv", options))) > 5
    ingest = Ingest(store, RUN, tmp_path / "log.csv", policy=IN_BLOCKS)
    outcome = process_file(DOMAINS["annuity_income"], tmp_path / "f.csv", "f.csv", ingest)
    assert (outcome.rows_loaded, outcome.rows_failed) == (400, 2)
    failed = store.failed_records()
    assert list(failed["row_index"]) == [401, 402]
    assert set(failed["check"]) == {"unique_business_key"}
    assert rows[3]["customer_name"] in failed["raw_data"].iloc[0]
    with store.connect() as conn:
        loaded = conn.execute("SELECT count(*), max(_row_index) FROM annuity_income").fetchone()
        lineage = conn.execute(
            "SELECT count(_sheet), min(_source_file), max(_source_file), min(_run_id), max(_run_id), "
            "count(DISTINCT _file_hash), min(length(_file_hash)) FROM annuity_income"
        ).fetchone()
    assert loaded == (400, 400)  # staged as good in their block, left out at commit
    assert tuple(lineage) == (0, "f.csv", "f.csv", "run-1", "run-1", 1, 64)


@pytest.mark.parametrize("block", [1024, 4096, 65536])
def test_rows_and_malformed_rows_keep_their_numbers_across_blocks(tmp_path, block):
    path = (
        write_demo(tmp_path, big_rows=TEST_BIG_ROWS)
        and tmp_path / "annuity_performance" / "perf_2024-10_dirty.csv"
    )
    whole = read_raw(path, ReadOptions())
    chunks = list(iter_csv_chunks(path, ReadOptions(block_bytes=block, batch_rows=block // 64)))
    assert len(chunks) > 1
    pd.testing.assert_frame_equal(pd.concat([c.frame for c in chunks]), whole.frame)
    assert sorted((m for c in chunks for m in c.set_aside), key=lambda m: m.row_index) == whole.set_aside


def test_a_row_longer_than_a_block_is_read_again_in_larger_blocks(tmp_path):
    settings = WorkdataSettings(home=tmp_path, logs_dir=tmp_path / "logs")
    store = open_store(settings)
    rows = make_rows("annuity_income", 7, "2024-10", 300)
    rows[150]["customer_name"] = "x" * 20_000  # 20 KB: over the 8 KB block, over the 120-character check
    path = tmp_path / "long.csv"
    write_csv(path, rows)
    ingest = Ingest(store, RUN, settings.failure_log_path(RUN.session_id), policy=IN_BLOCKS)
    outcome = process_file(DOMAINS["annuity_income"], path, "long.csv", ingest)
    assert (outcome.status, outcome.rows_total, outcome.rows_loaded) == ("PARTIAL", 300, 299)
    failed = store.failed_records(source_file="long.csv")
    assert failed["row_index"].tolist() == [151] and "x" * 20_000 in failed["raw_data"].iloc[0]


def test_a_gzip_file_is_sized_by_what_it_expands_to(tmp_path):
    body = b"report_month,plan_code\n" + b"2024-10,P0001\n" * 50_000
    (tmp_path / "f.csv").write_bytes(body)
    (tmp_path / "f.csv.gz").write_bytes(gzip.compress(body))
    (tmp_path / "tiny.gz").write_bytes(b"\x1f\x8b")  # too short to hold a size: its size on disk
    assert expanded_size(tmp_path / "f.csv") == expanded_size(tmp_path / "f.csv.gz") == len(body)
    assert expanded_size(tmp_path / "tiny.gz") == 2


def test_a_file_of_repeated_keys_has_its_duplicates_recorded_part_by_part(tmp_path, monkeypatch):
    # The repeats' records are built and spilled a few at a time, not held for the whole file.
    monkeypatch.setattr("workdata.core.engine.stage.repeated_keys._RECORD_ROWS", 7)
    rows = make_rows("annuity_income", 7, "2024-10", 200)
    write_csv(tmp_path / "f.csv", [*rows, *rows])
    settings = WorkdataSettings(home=tmp_path / "wd", logs_dir=tmp_path / "logs")
    store, log = open_store(settings), tmp_path / "log.csv"
    ingest = Ingest(store, RUN, log, policy=IN_BLOCKS.model_copy(update={"max_bad_row_ratio": 1.0}))
    outcome = process_file(DOMAINS["annuity_income"], tmp_path / "f.csv", "f.csv", ingest)
    assert (outcome.rows_loaded, outcome.rows_failed) == (200, 200)
    failed = store.failed_records()
    assert list(failed["row_index"]) == list(range(201, 401))
    assert set(failed["check"]) == {"unique_business_key"}
    assert rows[0]["customer_name"] in failed["raw_data"].iloc[0]
    logged = pd.read_csv(log, dtype="str", keep_default_na=False)
    assert list(logged["row_index"].astype(int)) == list(range(201, 401))
    assert list(logged["raw_data"]) == list(failed["raw_data"])
