"""Workbooks, drifted headers, local values and compressed files, through the real pipeline."""

import gzip
import json
import zipfile
from datetime import datetime

import pandas as pd
import pytest
import xlsxwriter
import xlwt
from python_calamine import CalamineWorkbook

from workdata.core.engine.read.files import read_raw
from workdata.core.engine.read.raw_table import ReadOptions
from workdata.core.engine.validate.validator import validate
from workdata.core.errors import MalformedFileError
from workdata.core.ingest_context import Ingest
from workdata.core.pipeline import process_file
from workdata.core.policy import DomainPolicy
from workdata.core.records import FileStatus
from workdata.demo.files import make_rows
from workdata.demo.realworld import TITLE_ROWS, write_realworld
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]


def ingest(settings, store, run, key, policy=None):
    context = Ingest(store, run, settings.failure_log_path(run.session_id), policy or DomainPolicy())
    return process_file(INCOME, settings.inbox_dir / INCOME.name / key, key, context)


@pytest.fixture
def realworld(settings):
    return {f.key: f for f in write_realworld(settings.inbox_dir, 7)}


def test_workbook_with_notes_sheet_and_title_row_loads_with_excel_row_numbers(
    realworld, settings, store, run
):
    outcome = ingest(settings, store, run, "income_2025-01.xlsx")
    truth = realworld["income_2025-01.xlsx"]
    assert (outcome.status, outcome.sheets, outcome.rows_total) == (FileStatus.PARTIAL, ("明细",), 400)
    records = store.failed_records(source_file="income_2025-01.xlsx")
    assert sorted(records["row_index"]) == sorted(d.row_index for d in truth.defects)
    # The operator opens the workbook at the reported row and finds the bad value there.
    sheet = CalamineWorkbook.from_path(str(settings.inbox_dir / INCOME.name / "income_2025-01.xlsx"))
    rows = sheet.get_sheet_by_name("明细").to_python(skip_empty_area=False)
    for record in records.itertuples():
        raw = json.loads(record.raw_data)
        assert raw["_sheet"] == "明细"
        assert raw[record.column] in [str(v) for v in rows[record.row_index - 1]]
    with store.connect() as conn:
        sheets, first_row = conn.execute(
            "SELECT list_distinct(list(_sheet)), min(_row_index) FROM annuity_income"
        ).fetchone()
    assert sheets == ["明细"] and first_row == TITLE_ROWS + 2


def test_a_drifted_header_month_loads_cleanly_and_reports_the_extra_column(realworld, settings, store, run):
    outcome = ingest(settings, store, run, "income_2025-02_drift.csv")
    assert (outcome.status, outcome.rows_loaded) == (FileStatus.SUCCESS, 300)
    assert outcome.extra_columns == ("备注",)
    with store.connect() as conn:
        month, rate = conn.execute("SELECT min(report_month), max(fee_rate) FROM annuity_income").fetchone()
    assert str(month) == "2025-02-01" and rate < 0.05  # '202502' and '1.743%' understood


def test_gzip_file_and_gzip_bytes_behind_a_csv_name_are_read(realworld, settings, store, run):
    assert ingest(settings, store, run, "income_2025-03.csv.gz").status is FileStatus.SUCCESS
    disguised = settings.inbox_dir / INCOME.name / "disguised.csv"
    disguised.write_bytes((settings.inbox_dir / INCOME.name / "income_2025-03.csv.gz").read_bytes())
    assert len(read_raw(disguised).frame) == len(read_raw(disguised.with_name("income_2025-03.csv.gz")).frame)
    # The same bytes under another name are not loaded twice.
    copy = ingest(settings, store, run, "disguised.csv")
    assert copy.status is FileStatus.SKIPPED and "Same content as income_2025-03.csv.gz" in copy.user_message


def test_decompression_bombs_and_bad_archives_are_refused(tmp_path):
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a,b\n" + b"0" * (20 * 2**20)))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(MalformedFileError) as caught:
        read_raw(bomb, ReadOptions(max_bytes=2**20))
    assert "decompression bomb" in caught.value.user_message and "1 MB" in caught.value.user_message
    double = tmp_path / "two.zip"
    with zipfile.ZipFile(double, "w") as archive:
        archive.writestr("a.csv", "a\n1\n")
        archive.writestr("b.csv", "a\n1\n")
    with pytest.raises(MalformedFileError) as caught:
        read_raw(double)
    assert "exactly one file" in caught.value.user_message
    single = tmp_path / "one.zip"
    with zipfile.ZipFile(single, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.csv", "a,b\n1,2\n")
    assert read_raw(single).frame.loc[1, "b"] == "2"
    zip_bomb = tmp_path / "zbomb.zip"
    with zipfile.ZipFile(zip_bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.csv", b"a\n" + b"1\n" * (2**20))
    with pytest.raises(MalformedFileError):
        read_raw(zip_bomb, ReadOptions(max_bytes=2**20))


def workbook(path, sheets: dict[str, list[list]]):
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.close()


def test_sheet_pattern_index_and_header_row_from_config(tmp_path):
    path = tmp_path / "b.xlsx"
    workbook(path, {"Jan": [["a", "b"], [1, 2]], "Feb data": [["title"], ["a", "b"], [3, 4]]})
    assert read_raw(path, ReadOptions(sheet_pattern="Feb", header_row=2)).frame.loc[3, "b"] == "4"
    assert read_raw(path, ReadOptions(sheet_index=0)).frame.loc[2, "a"] == "1"
    with pytest.raises(MalformedFileError) as caught:
        read_raw(path, ReadOptions(sheet_pattern="Mar"))
    assert "Jan, Feb data" in caught.value.user_message
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(MalformedFileError) as caught:
        read_raw(corrupt)
    assert "corrupt" in caught.value.user_message


@pytest.mark.parametrize(
    ("column", "written", "expected"),
    [
        ("report_month", "2024年11月", "2024-11-01"),
        ("report_month", "202411", "2024-11-01"),
        ("report_month", "2024-11", "2024-11-01"),
        ("report_month", "20241130", "2024-11-30"),
        ("report_month", "２０２４年１１月", "2024-11-01"),
        ("fee_rate", "3.5%", 0.035),
        ("fee_rate", "３．５％", 0.035),
        ("fee_base", "1,234,567.50", 1234567.5),
        ("fee_base", "１２３４", 1234.0),
        ("invoice_count", "１２", 12),
    ],
)
def test_local_values_are_normalised_before_validation(column, written, expected):
    row = make_rows(INCOME.name, 1, "2024-11", 1)[0] | {column: written}
    raw = pd.DataFrame([row], index=pd.Index([1], name="row_index"), dtype="str")
    result = validate(INCOME, raw)
    assert result.failures.empty, result.failures.to_dict("records")
    value = result.good[column].iloc[0]
    if column == "report_month":
        assert str(value.date()) == expected
    else:
        assert value == pytest.approx(expected)


def test_a_value_no_format_accepts_says_which_formats_were_tried():
    row = make_rows(INCOME.name, 1, "2024-11", 1)[0] | {"report_month": "Nov-2024"}
    raw = pd.DataFrame([row], index=pd.Index([1], name="row_index"), dtype="str")
    [failure] = validate(INCOME, raw).failures.to_dict("records")
    assert failure["error_type"] == "VALIDATION_FAILED"
    assert "%Y年%m月" in failure["message"] and "%Y%m%d" in failure["message"]


def test_blank_columns_before_a_table_are_not_schema_drift(settings, store, run):
    """A merged title on row 1, the header on row 3 starting in column C (columns A-B blank): the table's
    columns load with Excel row numbers and no extra columns; a blank-headed column holding data is kept."""
    rows = make_rows(INCOME.name, 5, "2024-10", 6)
    header = list(rows[0])
    path = settings.inbox_dir / INCOME.name / "shifted.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.merge_range(0, 0, 0, len(header) + 1, "Monthly income report")
    for c, name in enumerate(header):
        sheet.write(2, c + 2, name)
    for r, row in enumerate(rows, start=3):
        for c, name in enumerate(header):
            sheet.write(r, c + 2, row[name])
    book.close()
    outcome = ingest(settings, store, run, "shifted.xlsx")
    assert (outcome.status, outcome.rows_loaded, outcome.extra_columns) == (FileStatus.SUCCESS, 6, ())
    with store.connect() as conn:
        first, last = conn.execute("SELECT min(_row_index), max(_row_index) FROM annuity_income").fetchone()
    assert (first, last) == (4, 9)  # Excel rows 4-9

    noted = _noted_workbook(settings, rows)
    assert ingest(settings, store, run, noted.name).extra_columns == ("column_1",)


def _noted_workbook(settings, rows):
    """The same table with notes in a blank-headed first column: data the domain does not know."""
    header = list(rows[0])
    path = settings.inbox_dir / INCOME.name / "noted.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    for c, name in enumerate(header):
        sheet.write(0, c + 1, name)
    for r, row in enumerate(rows, start=1):
        sheet.write(r, 0, "checked")
        for c, name in enumerate(header):
            sheet.write(r, c + 1, row[name])
    book.close()
    return path


def test_xls_and_xlsm_workbooks_load_like_xlsx(settings, store, run):
    """Excel 97-2003 (.xls, real date cells, Chinese headers) and macro-enabled (.xlsm) workbooks."""
    rows = make_rows(INCOME.name, 8, "2024-10", 5)
    header = list(rows[0])
    inbox = settings.inbox_dir / INCOME.name
    inbox.mkdir(parents=True, exist_ok=True)
    book = xlwt.Workbook()
    sheet = book.add_sheet("数据")
    sheet.write(0, 0, "月度收入")  # a title row above the header
    for c, name in enumerate(header):
        sheet.write(1, c, name)
    month_cell = xlwt.easyxf(num_format_str='yyyy"年"m"月"')
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header):
            if name == "report_month":
                sheet.write(r, c, datetime(2024, 10, 1), month_cell)  # a real date cell
            else:
                sheet.write(r, c, row[name])
    book.save(str(inbox / "income.xls"))
    outcome = ingest(settings, store, run, "income.xls")
    assert (outcome.status, outcome.sheets, outcome.rows_loaded) == (FileStatus.SUCCESS, ("数据",), 5)
    with store.connect() as conn:
        first, months = conn.execute(
            "SELECT min(_row_index), list_distinct(list(report_month)) FROM annuity_income"
        ).fetchone()
    assert first == 3 and [str(m)[:7] for m in months] == ["2024-10"]  # Excel rows; the date cell's month

    later = make_rows(INCOME.name, 9, "2024-11", 4)
    workbook(inbox / "macro.xlsm", {"Data": [header, *[[row[name] for name in header] for row in later]]})
    macro = ingest(settings, store, run, "macro.xlsm")
    assert (macro.status, macro.sheets, macro.rows_loaded) == (FileStatus.SUCCESS, ("Data",), 4)
