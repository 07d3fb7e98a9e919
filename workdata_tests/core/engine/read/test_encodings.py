"""CSV files exported as UTF-16 (either byte order, with its BOM) read as the same rows as their UTF-8
twin, read whole or in blocks; what UTF-16 cannot decode is a MALFORMED row, and the encoding is reported."""

from __future__ import annotations

import pandas as pd
import pytest

from workdata.core.engine.read.csv_stream import iter_csv_chunks
from workdata.core.engine.read.files import read_raw
from workdata.core.engine.read.raw_table import ReadOptions
from workdata.core.ingest_context import Ingest
from workdata.core.pipeline import process_file
from workdata.core.policy import DomainPolicy, ReaderSettings
from workdata.core.records import FileStatus
from workdata.demo.files import make_rows
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]
IN_BLOCKS = ReadOptions(stream_over_bytes=0, block_bytes=2048, batch_rows=40)


def _text(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = [",".join(header), *(",".join(f'"{row[name]}"' for name in header) for row in rows)]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def twins(tmp_path):
    """The same rows (Chinese company names included) as UTF-8, UTF-8 with BOM, UTF-16 LE and BE."""
    rows = make_rows(INCOME.name, 4, "2024-10", 300)
    for n, row in enumerate(rows):
        row["customer_name"] = f"中国人寿养老保险{n}号客户"  # text outside ASCII and Latin-1
    text = _text(rows)
    files = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "utf-16": text.encode("utf-16"),  # the platform's byte order, with its BOM
        "utf-16-be": b"\xfe\xff" + text.encode("utf-16-be"),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_bytes(data)
    return paths


def _frame(tables) -> pd.DataFrame:
    return pd.concat([t.frame for t in tables])


def test_utf16_files_read_as_their_utf8_twin_whole_and_in_blocks(twins):
    expected = read_raw(twins["utf-8"]).frame
    assert expected.loc[1, "customer_name"] == "中国人寿养老保险0号客户"
    for name, path in twins.items():
        whole = read_raw(path)
        pd.testing.assert_frame_equal(whole.frame, expected)
        blocks = list(iter_csv_chunks(path, IN_BLOCKS))
        assert len(blocks) > 1, name  # really read in blocks
        pd.testing.assert_frame_equal(_frame(blocks), expected)
        reported = {whole.encoding, *(b.encoding for b in blocks)}
        assert reported == {"utf-16" if name.startswith("utf-16") else name}, name


def test_what_utf16_cannot_decode_is_a_malformed_row(tmp_path):
    text = _text(make_rows(INCOME.name, 5, "2024-10", 6)).encode("utf-16-le")
    lines = text.split("\n".encode("utf-16-le"))
    lines[3] = "\ud800".encode("utf-16-le", "surrogatepass") + lines[3]  # an unpaired surrogate in row 3
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xff\xfe" + "\n".encode("utf-16-le").join(lines))
    for table in (read_raw(path), *iter_csv_chunks(path, IN_BLOCKS)):
        if table.set_aside:
            assert [m.row_index for m in table.set_aside] == [3]
            assert "undecodable" in table.set_aside[0].reason
    assert read_raw(path).frame.index.tolist() == [1, 2, 4, 5, 6]


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "blocks"])
def test_a_utf16_export_loads_through_the_pipeline_and_says_its_encoding(settings, store, run, streamed):
    rows = make_rows(INCOME.name, 6, "2024-10", 50)
    path = settings.inbox_dir / INCOME.name / "export.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_text(rows).encode("utf-16"))
    read = (
        ReaderSettings(stream_over_mb=0, stream_block_mb=1 / 1024, stream_batch_rows=20) if streamed else None
    )
    policy = DomainPolicy(read=read) if read else DomainPolicy()
    ingest = Ingest(store, run, settings.failure_log_path(run.session_id), policy=policy)
    outcome = process_file(INCOME, path, "export.csv", ingest)
    assert (outcome.status, outcome.rows_loaded, outcome.encoding) == (FileStatus.SUCCESS, 50, "utf-16")
    assert store.failed_records(source_file="export.csv").empty
