"""Demo files in the shapes business teams send them, with their ground truth: a monthly workbook with two
data sheets below merged title rows (header on row 3 from column C, real Excel date cells, percentages,
full-width digits, thousands separators, a 合计 totals row) and a notes sheet; a small CSV whose totals row
must not push one bad row over the limit; a GBK CSV from Chinese-locale Excel with blank, filler and
repeated header lines; an Excel 97-2003 workbook."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import xlsxwriter
import xlwt

from workdata.core.lineage import SHEET_ROWS
from workdata.core.records import ErrorType, FileStatus
from workdata.demo.files import DemoFile, make_rows
from workdata.demo.realworld import DOMAIN, WORKBOOK_HEADERS
from workdata.demo.rows import Defect

COLUMNS = list(WORKBOOK_HEADERS)
HEADER = [WORKBOOK_HEADERS[c] for c in COLUMNS]
FIRST_COLUMN = 2  # the table starts in column C; A and B are blank
HEADER_ROW = 3  # Excel row of the header: a merged title row and a blank row above it
_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
_CUSTOMERS = (
    "华夏养老金管理有限公司",
    "中信证券股份有限公司",
    "招商银行股份有限公司",
    "平安养老保险股份有限公司",
)


def write_business_files(inbox: Path, seed: int) -> list[DemoFile]:
    """The business-shaped files of the income domain, with what ingesting each must produce."""
    root = inbox / DOMAIN
    root.mkdir(parents=True, exist_ok=True)
    return [
        write_monthly_workbook(root / "income_2025-04_monthly.xlsx", seed),
        write_small_totals_csv(root / "income_2025-06_small.csv", seed),
        write_gbk_csv(root / "income_2025-07_gbk.csv", seed),
        write_xls(root / "income_2025-08.xls", seed),
    ]


def _local(row: dict[str, str], i: int) -> dict[str, object]:
    """A row as the finance team types it: 1.5%, 100,000.00, full-width counts, Chinese names."""
    return row | {
        "fee_rate": f"{float(row['fee_rate']) * 100:.3f}%",
        "fee_base": f"{float(row['fee_base']):,.2f}",
        "invoice_count": row["invoice_count"].translate(_WIDE),
        "customer_name": _CUSTOMERS[i % len(_CUSTOMERS)],
    }


def _totals(rows: list[dict[str, str]]) -> dict[str, str]:
    """The 合计 row teams put under a table: the marker in its first column, sums below the amounts."""
    total = sum(float(r["income_amount"]) for r in rows)
    return dict.fromkeys(COLUMNS, "") | {"report_month": "合计", "income_amount": f"{total:,.2f}"}


def write_monthly_workbook(path: Path, seed: int) -> DemoFile:
    """Sheets 2025年4月 (30 rows) and 2025年5月 (20 rows), each ending in a 合计 row, and a notes sheet."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": datetime(2025, 6, 1, tzinfo=UTC)})  # the same bytes on every run
    title, month_cell = book.add_format({"bold": True}), book.add_format({"num_format": 'yyyy"年"m"月"'})
    defects = []
    for ordinal, (month, count) in enumerate((("2025-04", 30), ("2025-05", 20))):
        year, number = month.split("-")
        sheet = book.add_worksheet(f"{year}年{int(number)}月")
        rows = make_rows(DOMAIN, seed, month, count)
        last = FIRST_COLUMN + len(COLUMNS) - 1
        sheet.merge_range(0, FIRST_COLUMN, 0, last, f"{year}年{int(number)}月 年金收入明细表", title)
        for c, name in enumerate(HEADER):
            sheet.write_string(HEADER_ROW - 1, FIRST_COLUMN + c, name)
        for r, row in enumerate([*(_local(x, i) for i, x in enumerate(rows)), _totals(rows)], HEADER_ROW):
            for c, column in enumerate(COLUMNS):
                value = row[column]
                if column == "report_month" and value != "合计":
                    sheet.write_datetime(r, FIRST_COLUMN + c, datetime(int(year), int(number), 1), month_cell)
                else:
                    sheet.write_string(r, FIRST_COLUMN + c, str(value))
        totals_row = HEADER_ROW + count + 1  # Excel row of the 合计 row
        defects.append(Defect(ordinal * SHEET_ROWS + totals_row, "totals_row", _DROPPED, None))
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "数据口径：按月统计；金额单位：元。")
    book.close()
    return DemoFile(DOMAIN, path.name, 52, FileStatus.SUCCESS, None, tuple(defects))


_DROPPED = ErrorType.DROPPED_IN_PIPELINE


def write_small_totals_csv(path: Path, seed: int) -> DemoFile:
    """Four rows (one with an unknown plan) and a 合计 row: 1 bad row of 4 is within the 25% limit, which
    it was not when the totals row counted as a second bad row of 5."""
    rows = make_rows(DOMAIN, seed, "2025-06", 4)
    rows[2]["plan_code"] = "P9999"
    _write_csv(path, COLUMNS, [*rows, _totals(rows)], "utf-8")
    defects = (
        Defect(3, "unknown_plan", ErrorType.FK_CONSTRAINT_VIOLATION, "plan_code"),
        Defect(5, "totals_row", _DROPPED, None),
    )
    return DemoFile(DOMAIN, path.name, 5, FileStatus.PARTIAL, None, defects)


def write_gbk_csv(path: Path, seed: int) -> DemoFile:
    """40 rows saved by Chinese-locale Excel (GBK): Chinese headers and names, a blank line, a filler
    line of commas and the header repeated mid-file (as when two exports are pasted together)."""
    rows = [{WORKBOOK_HEADERS[k]: v for k, v in _local(r, i).items()} for i, r in enumerate(_rows(seed, 40))]
    lines: list[dict[str, str] | list[str] | None] = [*rows[:15], None, *rows[15:25], [""] * len(HEADER)]
    lines += [HEADER, *rows[25:]]
    _write_csv(path, HEADER, lines, "gbk")
    defects = (
        Defect(16, "blank_line", _DROPPED, None),
        Defect(27, "filler_row", _DROPPED, None),
        Defect(28, "repeated_header", _DROPPED, None),
    )
    return DemoFile(DOMAIN, path.name, 43, FileStatus.SUCCESS, None, defects)


def _rows(seed: int, count: int) -> list[dict[str, str]]:
    return [r | {"report_month": "2025年07月"} for r in make_rows(DOMAIN, seed, "2025-07", count)]


def _write_csv(path: Path, header: list[str], lines: list, encoding: str) -> None:
    # None is a blank line; a list is written as it is; a dict by the header.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for line in lines:
        if line is None:
            buffer.write("\r\n")
        else:
            writer.writerow(line if isinstance(line, list) else [line[name] for name in header])
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_xls(path: Path, seed: int) -> DemoFile:
    """An Excel 97-2003 workbook: a title row, a Chinese sheet name and real date cells."""
    rows = make_rows(DOMAIN, seed, "2025-08", 25)
    book = xlwt.Workbook()
    sheet = book.add_sheet("数据")
    sheet.write(0, 0, "2025年8月 年金收入")
    month_cell = xlwt.easyxf(num_format_str='yyyy"年"m"月"')
    for c, name in enumerate(HEADER):
        sheet.write(1, c, name)
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(COLUMNS):
            if column == "report_month":
                sheet.write(r, c, datetime(2025, 8, 1), month_cell)
            else:
                sheet.write(r, c, row[column])
    book.save(str(path))
    return DemoFile(DOMAIN, path.name, 25, FileStatus.SUCCESS)
