"""A file read as raw text rows: the table every reader returns and the options every reader takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workdata.core.errors import MalformedFileError

ROW_INDEX = "row_index"


@dataclass(frozen=True)
class MalformedRow:
    """A source row that could not be parsed into fields, with its raw text."""

    row_index: int
    raw_line: str
    reason: str


@dataclass
class RawTable:
    """Parsed rows as text (index = 1-based source row) plus the rows that would not parse."""

    frame: pd.DataFrame
    malformed: list[MalformedRow] = field(default_factory=list)
    sheet: str | None = None

    @property
    def rows_total(self) -> int:
        """Every data row the source held, parsed or not."""
        return len(self.frame) + len(self.malformed)


@dataclass(frozen=True)
class ReadOptions:
    """Per-domain reading options: decompression cap and, for workbooks, sheet and header row."""

    max_bytes: int = 1 << 30
    sheet_pattern: str | None = None
    sheet_index: int | None = None
    header_row: int | None = None
    header_names: frozenset[str] = frozenset()
    # CSV files this large are read in blocks of block_bytes (memory bounded by the block, not the file).
    stream_over_bytes: int = 64 << 20
    block_bytes: int = 4 << 20
    batch_rows: int = 200_000  # rows validated together (several parse blocks)


def finish_table(frame: pd.DataFrame, malformed: list[MalformedRow]) -> RawTable:
    """A RawTable with malformed rows in source order; no rows at all is a whole-file failure."""
    if frame.empty and not malformed:
        raise MalformedFileError("The file has a header but no data rows.")
    return RawTable(frame=frame, malformed=sorted(malformed, key=lambda m: m.row_index))
