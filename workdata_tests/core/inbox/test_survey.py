import os

import pytest

from workdata.core.inbox.survey import (
    contiguous_ranges,
    file_sha256,
    resolve_in_inbox,
    scan_inbox,
    survey_inbox,
)
from workdata.domains import DOMAINS


def test_scan_finds_every_file_and_reports_temporary_hidden_and_links_out(tmp_path):
    root = tmp_path / "annuity_income"
    (root / "sub").mkdir(parents=True)
    for name in ("a.csv", "sub/b.jsonl", "c.parquet", ".hidden.csv", "d.csv.part", "e.tmp", "notes.txt"):
        (root / name).write_text("x")
    (tmp_path / "outside.csv").write_text("x")
    os.symlink(tmp_path / "outside.csv", root / "escape.csv")
    survey = survey_inbox(tmp_path, DOMAINS.values())
    # notes.txt is a file like any other: its run records it FAILED (an unsupported type), never silence.
    assert [f.key for f in survey.files] == ["a.csv", "c.parquet", "notes.txt", "sub/b.jsonl"]
    reasons = {e.name: e.reason for e in survey.ignored}
    assert set(reasons) == {".hidden.csv", "d.csv.part", "e.tmp", "escape.csv"}
    assert "outside the inbox" in reasons["escape.csv"]
    assert [e.name for e in survey.problems] == ["escape.csv"]
    assert [f.key for f in scan_inbox(tmp_path, DOMAINS.values())] == [f.key for f in survey.files]


def test_partition_keys_cannot_escape_the_inbox(tmp_path):
    (tmp_path / "annuity_income").mkdir()
    with pytest.raises(ValueError):
        resolve_in_inbox(tmp_path, "annuity_income", "../annuity_performance/x.csv")
    assert resolve_in_inbox(tmp_path, "annuity_income", "a/b.csv").name == "b.csv"


def test_sha256_of_content(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_contiguous_ranges_split_on_gaps_and_size():
    order = list("abcdefgh")
    assert contiguous_ranges(order, set("abdefh"), 2) == [["a", "b"], ["d", "e"], ["f"], ["h"]]
    assert contiguous_ranges(order, set(), 5) == []


def test_contiguous_ranges_cap_bytes_and_let_a_big_file_run_alone():
    sizes = {"a": 40, "b": 40, "c": 40, "d": 500, "e": 10}
    assert contiguous_ranges(list("abcde"), set("abcde"), 10, sizes, 100) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert contiguous_ranges(list("abcde"), set("abcde"), 10, sizes, None) == [list("abcde")]
