"""A file read as raw text rows: the table every reader returns and the options every reader takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workdata.core.errors import MalformedFileError
from workdata.core.policy import ReaderSettings

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
    encoding: str | None = None  # a text file's encoding, as read (utf-8, utf-8-sig, utf-16)

    @property
    def rows_total(self) -> int:
        """Every data row the source held, parsed or not."""
        return len(self.frame) + len(self.malformed)


_DEFAULT = ReaderSettings()


@dataclass(frozen=True)
class ReadOptions:
    """How the engine reads one file, in bytes and rows: a domain's ReaderSettings (the defaults are
    theirs) and the header names it knows (to find a workbook's header row)."""

    max_bytes: int = _DEFAULT.max_decompressed_mb * 2**20
    sheet_pattern: str | None = None
    sheet_index: int | None = None
    header_row: int | None = None
    header_names: frozenset[str] = frozenset()
    # CSV files this large are read in blocks of block_bytes (memory bounded by the block, not the file).
    stream_over_bytes: int = int(_DEFAULT.stream_over_mb * 2**20)
    block_bytes: int = max(1024, int(_DEFAULT.stream_block_mb * 2**20))
    batch_rows: int = _DEFAULT.stream_batch_rows  # rows validated together (several parse blocks)

    @classmethod
    def from_settings(
        cls, settings: ReaderSettings, header_names: frozenset[str] = frozenset()
    ) -> ReadOptions:
        """The options a domain's reader settings give, with the header names it knows."""
        return cls(
            max_bytes=settings.max_decompressed_mb * 2**20,
            sheet_pattern=settings.sheet_pattern,
            sheet_index=settings.sheet_index,
            header_row=settings.header_row,
            header_names=header_names,
            stream_over_bytes=int(settings.stream_over_mb * 2**20),
            block_bytes=max(1024, int(settings.stream_block_mb * 2**20)),
            batch_rows=settings.stream_batch_rows,
        )


def finish_table(frame: pd.DataFrame, malformed: list[MalformedRow]) -> RawTable:
    """A RawTable with malformed rows in source order; no rows at all is a whole-file failure."""
    if frame.empty and not malformed:
        raise MalformedFileError("The file has a header but no data rows.")
    return RawTable(frame=frame, malformed=sorted(malformed, key=lambda m: m.row_index))
