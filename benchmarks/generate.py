"""Seeded benchmark files with ground truth: which rows are bad and why, for any size and bad-row ratio.

Files above one million rows repeat a one-million-row base with the years shifted per copy, so business
keys stay unique and the planted rows of every copy are known too.
"""

from __future__ import annotations

import re
from pathlib import Path

from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.demo.rows import CSV_DEFECTS, VALUE_DEFECTS

DOMAIN = "annuity_performance"
BASE_ROWS = 1_000_000
_MONTH_ROWS = 39_000  # business keys are unique per month: a new month every 39,000 rows
_YEAR = re.compile(rb"^200(\d)-", re.MULTILINE)


def generate(path: Path, rows: int, ratio: float) -> set[int]:
    """Write `rows` annuity_performance rows with `ratio` planted defects; return the bad row numbers."""
    base = min(rows, BASE_ROWS)
    data = []
    for block in range(0, base, _MONTH_ROWS):
        month = f"{2000 + block // _MONTH_ROWS // 12:04d}-{block // _MONTH_ROWS % 12 + 1:02d}"
        data += make_rows(DOMAIN, 1, month, min(_MONTH_ROWS, base - block))
    defects = plant_defects(DOMAIN, data, VALUE_DEFECTS + CSV_DEFECTS, ratio) if ratio else []
    write_csv(path, data)
    bad = {d.row_index for d in defects}
    if rows <= base:
        return bad
    return _repeat(path, rows // base, bad, base)


def _repeat(path: Path, copies: int, bad: set[int], base: int) -> set[int]:
    text = path.read_bytes()
    header, body = text.split(b"\n", 1)
    with path.open("wb") as out:
        out.write(header + b"\n")
        for copy in range(copies):
            # Copy k moves years 2000-2009 to 20k0-20k9: the same defects, no key shared between copies.
            out.write(_YEAR.sub(lambda m, k=copy: b"20%d%s-" % (k, m.group(1)), body))
    return {row + copy * base for copy in range(copies) for row in bad}
