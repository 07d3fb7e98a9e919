"""Demo files as other teams send them: an Excel workbook with a notes sheet, a title row, merged
cells and Chinese headers; a month whose CSV headers drifted; a gzip'd CSV."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import xlsxwriter

from workdata.core.records import ErrorType, FileStatus
from workdata.demo.files import DemoFile, make_rows, write_csv
from workdata.demo.rows import Defect

DOMAIN = "annuity_income"
# Canonical column -> the header the finance team writes in the workbook.
WORKBOOK_HEADERS = {
    "report_month": "统计月份",
    "plan_code": "计划代码",
    "company_id": "公司代码",
    "product_line": "业务类型",
    "income_type": "收入类型",
    "fee_rate": "费率（%）",
    "fee_base": "计费基数（元）",
    "income_amount": "收入金额（元）",
    "customer_name": "客户名称",
    "invoice_count": "开票张数",
}
# The next month they renamed two headers, added trailing spaces and a notes column.
DRIFTED_HEADERS = WORKBOOK_HEADERS | {
    "plan_code": "计划号",
    "customer_name": "客户名称  ",
    "fee_rate": "费率",
}
TITLE_ROWS = 2  # title (merged across the columns) and a blank row sit above the header


def _localise(row: dict[str, str], month_text: str) -> dict[str, str]:
    """Local spellings: 2025年01月, percentages, thousands separators."""
    return row | {
        "report_month": month_text,
        "fee_rate": f"{float(row['fee_rate']) * 100:.3f}%",
        "fee_base": f"{float(row['fee_base']):,.2f}",
    }


def write_workbook(path: Path, rows: list[dict[str, str]]) -> None:
    """A two-sheet workbook: notes first, then the data below a merged title row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": datetime(2025, 2, 1, tzinfo=UTC)})  # the same bytes on every run
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "本表为年金收入明细，数据见“明细”页。")
    sheet = book.add_worksheet("明细")
    columns = list(WORKBOOK_HEADERS)
    sheet.merge_range(0, 0, 0, len(columns) - 1, "2025年1月 年金收入明细表", book.add_format({"bold": True}))
    for c, name in enumerate(columns):
        sheet.write_string(TITLE_ROWS, c, WORKBOOK_HEADERS[name])
    for r, row in enumerate(rows, start=TITLE_ROWS + 1):
        for c, name in enumerate(columns):
            value = row[name]
            if name == "invoice_count" and value.isdigit():
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    book.close()


def write_realworld(inbox: Path, seed: int) -> list[DemoFile]:
    """The Excel, drifted-header and gzip'd files of the income domain, with their ground truth."""
    root = inbox / DOMAIN
    rows = [_localise(r, "2025年01月") for r in make_rows(DOMAIN, seed, "2025-01", 400)]
    defects = []
    for position, (column, bad, error) in enumerate(
        (
            ("report_month", "2025年13月", ErrorType.VALIDATION_FAILED),
            ("fee_base", "1,2x4.00", ErrorType.VALIDATION_FAILED),
            ("plan_code", "P9999", ErrorType.FK_CONSTRAINT_VIOLATION),
        ),
        start=1,
    ):
        rows[position * 97][column] = bad
        # Excel row = title rows + header row + 1-based data position.
        defects.append(Defect(TITLE_ROWS + 1 + position * 97 + 1, f"workbook_{column}", error, column))
    write_workbook(root / "income_2025-01.xlsx", rows)

    drifted = [
        _localise(r, r["report_month"].replace("-", "")) | {"备注": "ok"}
        for r in make_rows(DOMAIN, seed, "2025-02", 300)
    ]
    renamed = [{DRIFTED_HEADERS.get(k, k): v for k, v in r.items()} for r in drifted]
    write_csv(root / "income_2025-02_drift.csv", renamed)

    plain = root / "income_2025-03.csv"
    write_csv(plain, make_rows(DOMAIN, seed, "2025-03", 250))
    (root / "income_2025-03.csv.gz").write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()
    return [
        DemoFile(DOMAIN, "income_2025-01.xlsx", 400, FileStatus.PARTIAL, None, tuple(defects)),
        DemoFile(DOMAIN, "income_2025-02_drift.csv", 300, FileStatus.SUCCESS),
        DemoFile(DOMAIN, "income_2025-03.csv.gz", 250, FileStatus.SUCCESS),
    ]
