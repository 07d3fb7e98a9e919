"""A file read as raw text rows: the table every reader returns and the options every reader takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from workdata.core.errors import MalformedFileError
from workdata.core.policy import ReaderSettings
from workdata.core.records import ErrorType

ROW_INDEX = "row_index"


@dataclass(frozen=True)
class SetAsideRow:
    """A source row set aside before validation, with its raw text (or cells) and why: one that could not
    be parsed (MALFORMED_ROW), or one that holds no data on purpose (DROPPED_IN_PIPELINE: a blank or
    filler row, a totals row, a repeated header)."""

    row_index: int
    raw_line: str
    reason: str
    error_type: ErrorType = ErrorType.MALFORMED_ROW
    check: str = "parse"
    cells: dict[str, str] | None = None  # the row as read, when it parsed into the file's columns

    @property
    def dropped(self) -> bool:
        """True for a row dropped on purpose (it holds no data), not one that failed."""
        return self.error_type is ErrorType.DROPPED_IN_PIPELINE


@dataclass
class RawTable:
    """Parsed rows as text (index = 1-based source row) plus the rows set aside before validation."""

    frame: pd.DataFrame
    set_aside: list[SetAsideRow] = field(default_factory=list)
    sheets: tuple[str, ...] = ()  # a workbook's data sheets read, in order (row numbers by SHEET_ROWS)
    skipped_sheets: tuple[tuple[str, str], ...] = ()  # its other sheets: (name, why not read)
    encoding: str | None = None  # a text file's encoding, as read (utf-8, utf-8-sig, utf-16, gb18030)

    @property
    def rows_total(self) -> int:
        """Every data row the source held, parsed or not."""
        return len(self.frame) + len(self.set_aside)

    @property
    def rows_dropped(self) -> int:
        """The rows dropped on purpose (blank, filler, totals, repeated header)."""
        return sum(row.dropped for row in self.set_aside)


_DEFAULT = ReaderSettings()


@dataclass(frozen=True)
class ReadOptions:
    """How the engine reads one file, in bytes and rows: a domain's ReaderSettings (the defaults are
    theirs) and the header names it knows (to find a workbook's header row)."""

    max_bytes: int = _DEFAULT.max_decompressed_mb * 2**20
    sheet_pattern: str | None = None
    sheet_index: int | None = None
    header_row: int | None = None
    # A domain's known headers (header_key -> canonical column) and required columns: a workbook's header
    # row and data sheets are found by them.
    header_aliases: Mapping[str, str] = field(default_factory=dict)
    required_columns: frozenset[str] = frozenset()
    encodings: tuple[str, ...] = _DEFAULT.encodings  # a CSV's allowed text encodings, in order
    # CSV files this large are read in blocks of block_bytes (memory bounded by the block, not the file).
    stream_over_bytes: int = int(_DEFAULT.stream_over_mb * 2**20)
    block_bytes: int = max(1024, int(_DEFAULT.stream_block_mb * 2**20))
    batch_rows: int = _DEFAULT.stream_batch_rows  # rows validated together (several parse blocks)

    @classmethod
    def from_settings(
        cls,
        settings: ReaderSettings,
        header_aliases: Mapping[str, str] | None = None,
        required_columns: frozenset[str] = frozenset(),
    ) -> ReadOptions:
        """The options a domain's reader settings give, with the headers it knows and requires."""
        return cls(
            max_bytes=settings.max_decompressed_mb * 2**20,
            sheet_pattern=settings.sheet_pattern,
            sheet_index=settings.sheet_index,
            header_row=settings.header_row,
            header_aliases=dict(header_aliases or {}),
            required_columns=required_columns,
            encodings=settings.encodings,
            stream_over_bytes=int(settings.stream_over_mb * 2**20),
            block_bytes=max(1024, int(settings.stream_block_mb * 2**20)),
            batch_rows=settings.stream_batch_rows,
        )


def finish_table(frame: pd.DataFrame, malformed: list[SetAsideRow]) -> RawTable:
    """A RawTable with malformed rows in source order; no rows at all is a whole-file failure."""
    if frame.empty and all(m.dropped for m in malformed):
        raise MalformedFileError("The file has a header but no data rows.")
    return RawTable(frame=frame, set_aside=sorted(malformed, key=lambda m: m.row_index))
