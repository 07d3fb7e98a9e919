"""Row numbering of a large CSV's blocks, and what the reader keeps while it goes."""

import pyarrow as pa

from workdata.core.engine.read.csv_stream import _grouped, _numbered
from workdata.core.engine.read.raw_table import SetAsideRow


def test_reported_malformed_rows_leave_the_parsers_list(tmp_path):
    malformed: list[SetAsideRow] = []

    def tables():
        for first in (1, 5, 9):  # the parser skips one row before each block of three
            malformed.append(SetAsideRow(first, "x,y,z", "expected 1 fields, found 3"))
            yield pa.table({"a": ["1", "2", "3"]})

    seen = []
    for raw in _numbered(tables(), malformed, False, ["a"], 1024):
        seen.append(([m.row_index for m in raw.set_aside], raw.frame.index.tolist()))
        assert malformed == []  # a long file's bad lines are not all kept until its end
    assert seen == [([1], [2, 3, 4]), ([5], [6, 7, 8]), ([9], [10, 11, 12])]


def test_a_group_of_wide_rows_is_cut_by_its_size_before_its_row_count(monkeypatch):
    monkeypatch.setattr("workdata.core.engine.read.csv_stream._GROUP_BYTES", 5_000)
    wide = [pa.record_batch({"a": ["x" * 1_000] * 2}) for _ in range(6)]  # ~2 KB a batch
    narrow = [pa.record_batch({"a": ["x"] * 2}) for _ in range(6)]
    assert [t.num_rows for t in _grouped(wide, 100)] == [6, 6]  # three batches reach 5,000 bytes
    assert [t.num_rows for t in _grouped(narrow, 4)] == [4, 4, 4]
