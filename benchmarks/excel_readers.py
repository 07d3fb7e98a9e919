"""Which .xlsx reader: python-calamine vs openpyxl (read-only) on a 100k-row workbook, same process.

Run: .venv/bin/python benchmarks/excel_readers.py [rows]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from workdata.demo.files import make_rows


def write_workbook(path: Path, rows: int) -> None:
    """A workbook with a title row, a header and `rows` data rows (openpyxl write-only)."""
    data = make_rows("annuity_performance", 1, "2024-11", rows)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("明细")
    sheet.append(["2024年11月 年金业绩报表"])
    sheet.append(list(data[0]))
    for row in data:
        sheet.append(list(row.values()))
    book.save(path)


def read_calamine(path: Path) -> int:
    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


def read_openpyxl(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def main(rows: int = 100_000, repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        started = time.perf_counter()
        write_workbook(path, rows)
        print(
            f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        results = {}
        for name, reader in (("python-calamine", read_calamine), ("openpyxl read-only", read_openpyxl)):
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                assert reader(path) == rows + 2
                times.append(time.perf_counter() - started)
            results[name] = statistics.median(times)
            print(
                f"{name:20s} median {results[name]:.2f}s  range {min(times):.2f}-{max(times):.2f}s  "
                f"{rows / results[name]:,.0f} rows/s"
            )
        print(f"openpyxl / calamine = {results['openpyxl read-only'] / results['python-calamine']:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
