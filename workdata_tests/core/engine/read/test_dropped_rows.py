"""Rows without data (blank, filler, totals, a repeated header) are set aside as DROPPED_IN_PIPELINE."""

import pandas as pd
import pytest

from workdata.core.engine.read.dropped_rows import drop_rows
from workdata.core.engine.read.raw_table import RawTable
from workdata.core.policy import ReaderSettings
from workdata.core.records import ErrorType

MARKERS = ReaderSettings().total_markers


def table(rows: list[list[str]], numbers: list[int] | None = None) -> RawTable:
    index = pd.Index(numbers or list(range(1, len(rows) + 1)), name="row_index")
    return RawTable(frame=pd.DataFrame(rows, columns=["order id", "customer", "amount"], index=index))


@pytest.mark.parametrize(
    "cell",
    ["合计", "合计：", " 小计 ", "總計", "Total", "TOTAL:", "Grand Total", "Total (March)", "合计（元）"],
)
def test_a_totals_marker_in_the_first_cells_drops_the_row(cell):
    raw = drop_rows(table([["A1", "x", "1"], [cell, "", "9"]]), MARKERS)
    assert raw.frame.index.tolist() == [1]
    [dropped] = raw.set_aside
    assert (dropped.row_index, dropped.error_type, dropped.check) == (
        2,
        ErrorType.DROPPED_IN_PIPELINE,
        "totals_row",
    )
    assert dropped.cells == {"order id": cell, "customer": "", "amount": "9"}  # its raw data, as read
    assert raw.rows_total == 2 and raw.rows_dropped == 1


@pytest.mark.parametrize("cell", ["Total Energies", "Totalizer", "合计金额说明文字", "subtotals of march"])
def test_a_name_that_starts_with_a_marker_is_data(cell):
    raw = drop_rows(table([[cell, "x", "1"], ["A2", "y", "2"]]), MARKERS)
    assert raw.frame.index.tolist() == [1, 2] and raw.set_aside == []


def test_blank_filler_and_repeated_header_rows_are_dropped_and_rows_keep_their_numbers():
    rows = [
        ["A1", "x", "1"],
        ["", "", ""],
        ["  ", "", " "],
        ["Order ID", "Customer", "amount"],
        ["A5", "y", "5"],
    ]
    raw = drop_rows(table(rows, [1, 2, 3, 4, 6]), MARKERS)
    assert raw.frame.index.tolist() == [1, 6]
    assert [(m.row_index, m.check) for m in raw.set_aside] == [
        (2, "blank_row"),
        (3, "blank_row"),
        (4, "repeated_header"),
    ]


def test_a_domain_chooses_its_markers_and_can_have_none():
    rows = [["A1", "x", "1"], ["Summe", "", "9"], ["合计", "", "9"]]
    assert [m.row_index for m in drop_rows(table(rows), ("summe",)).set_aside] == [2]
    assert drop_rows(table(rows), ()).set_aside == []


def test_a_marker_beyond_the_first_three_columns_is_data():
    frame = pd.DataFrame([["A1", "x", "1", "合计"]], columns=["a", "b", "c", "d"])
    assert drop_rows(RawTable(frame=frame), MARKERS).set_aside == []
