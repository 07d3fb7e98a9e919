"""Large CSV files in chunks: the same rows, row numbers and malformed rows as reading the file whole,
with memory bounded by the chunk size instead of the file size."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa

from workdata.core.engine.read.csv_files import (
    BOM,
    MAX_HEADER_BYTES,
    csv_header,
    invalid_row_handler,
    parse_csv,
    raise_if_straddled,
    split_undecodable,
)
from workdata.core.engine.read.encodings import JUDGED_BYTES, UTF8, UTF8_BOM, Transcoded, choose_encoding
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable, ReadOptions, SetAsideRow
from workdata.core.engine.read.sources import GZIP_MAGIC
from workdata.core.engine.read.utf8 import Utf8Repair, stream_is_utf8
from workdata.core.errors import MalformedFileError

_STREAMABLE = {".csv"}


def streamable(path: Path, options: ReadOptions) -> bool:
    """True when `path` is a CSV (plain or .gz) at least `options.stream_over_bytes` long on disk."""
    return path.stat().st_size >= options.stream_over_bytes and _inner_suffix(path) in _STREAMABLE


def iter_csv_chunks(path: Path, options: ReadOptions) -> Iterator[RawTable]:
    """The file's rows, about `options.batch_rows` at a time (parsed in `options.block_bytes` blocks),
    with file-wide row numbers; malformed rows come with the chunk their number falls in."""
    # Other encodings are decoded as read (what does not decode is marked); UTF-8 is checked in a first pass.
    encoding, valid = _text_encoding(path, options)
    transcoded = encoding not in (UTF8, UTF8_BOM)
    cleaned = transcoded or not valid
    with _open(path, options.max_bytes) as opened:
        raw = Transcoded(opened, encoding) if transcoded else opened
        head = raw.read(MAX_HEADER_BYTES + 1)
        if not head:
            raise MalformedFileError("The file is empty; it holds no header and no rows.")
        head = head[len(BOM) :] if head.startswith(BOM) else head
        header = csv_header(head)  # a header that did not decode fails the file
        stream = _Prefixed(head, raw) if valid else Utf8Repair(_Prefixed(head, raw))
        malformed: list[SetAsideRow] = []
        handler = invalid_row_handler(malformed, cleaned)
        batches = parse_csv(stream, header, handler, True, options.block_bytes)
        tables = _grouped(batches, options.batch_rows)
        for table in _numbered(tables, malformed, cleaned, header, options.block_bytes):
            table.encoding = encoding
            yield table


# A group's parsed text at most: 75k rows of the benchmark's 14 columns are ~14 MB, 75k rows of 2 KB
# were 150 MB (1.35 GB peak for a 427 MB file, and one Parquet row group too big for DuckDB's insert).
_GROUP_BYTES = 32 << 20


def _grouped(batches: Iterable[pa.RecordBatch], min_rows: int) -> Iterator[pa.Table]:
    # Small parse blocks keep pyarrow's buffers small; validating bigger groups keeps per-call costs low.
    group: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        group.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= min_rows or size >= _GROUP_BYTES:
            yield pa.Table.from_batches(group)
            group, rows, size = [], 0, 0
    if group:
        yield pa.Table.from_batches(group)


def _numbered(
    tables: Iterable[pa.Table], malformed: list[SetAsideRow], cleaned: bool, header: list[str], block: int
) -> Iterator[RawTable]:
    next_free, any_rows = 1, False
    try:
        for table in tables:
            # Rows the handler skipped while parsing this batch hold numbers the parsed rows must not take.
            # Reported ones leave the list (in place: the handler appends to it), so neither the cost of a
            # block nor memory grows with the malformed rows of the blocks before it.
            taken = np.array(sorted(m.row_index for m in malformed), dtype=np.int64)
            numbers = _free_numbers(next_free, table.num_rows, taken)
            next_free = int(numbers[-1]) + 1 if len(numbers) else next_free
            frame, undecodable = split_undecodable(table, numbers, cleaned)
            due = [not len(numbers) or m.row_index < next_free for m in malformed]
            new = [m for m, now in zip(malformed, due, strict=True) if now]
            malformed[:] = [m for m, now in zip(malformed, due, strict=True) if not now]
            any_rows = any_rows or bool(len(frame) or new or undecodable)
            yield RawTable(frame=frame, set_aside=sorted(new + undecodable, key=lambda m: m.row_index))
    except pa.ArrowInvalid as exc:
        raise_if_straddled(exc, block)
        raise
    rest = list(malformed)
    if rest or not any_rows:
        if not rest and not any_rows:
            raise MalformedFileError("The file has a header but no data rows.")
        yield RawTable(frame=_empty_frame(header), set_aside=rest)


def _free_numbers(start: int, count: int, taken: np.ndarray) -> np.ndarray:
    window = np.arange(start, start + count + len(taken), dtype=np.int64)
    return window[~np.isin(window, taken)][:count]


def _empty_frame(header: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.Series([], dtype="str") for name in header},
        index=pd.Index([], dtype="int64", name=ROW_INDEX),
    )


def _inner_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return PurePosixPath(path.name[:-3]).suffix.lower() if suffix == ".gz" else suffix


@contextmanager
def _open(path: Path, max_bytes: int) -> Iterator[BinaryIO]:
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
        handle.seek(0)
        if not compressed:
            yield handle
            return
        try:
            with gzip.GzipFile(fileobj=handle) as inflated:
                yield _Capped(inflated, max_bytes)
        except (OSError, EOFError) as exc:
            raise MalformedFileError(
                "The gzip file is corrupt or truncated; compress it again.", detail=str(exc)
            ) from exc


def expanded_size(path: Path) -> int:
    """The file's size once decompressed, as far as it can be told without reading it: a gzip file's
    last four bytes hold its (last member's) size modulo 4 GiB; at least the size on disk."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size < 18 or handle.read(2) != GZIP_MAGIC:
            return size
        handle.seek(-4, 2)
        return max(size, int.from_bytes(handle.read(4), "little"))


def _text_encoding(path: Path, options: ReadOptions) -> tuple[str, bool]:
    """As `text_encoding` for a whole file, in one pass for a UTF-8 file (a second, over the first
    JUDGED_BYTES, only for one that is not UTF-8)."""

    def sample() -> bytes:
        with _open(path, options.max_bytes) as again:
            return again.read(JUDGED_BYTES)

    with _open(path, options.max_bytes) as stream:
        head = stream.read(4)
        return choose_encoding(
            head, lambda: stream_is_utf8(_Prefixed(head, stream)), sample, options.encodings
        )


class _Capped:
    """A decompressing stream that refuses to expand beyond `max_bytes` (decompression bombs)."""

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self.stream, self.left, self.closed = stream, max_bytes, False

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size >= 0 else self.left + 1)
        self.left -= len(data)
        if self.left < 0:
            raise MalformedFileError(
                "The compressed file expands beyond the configured limit; it was refused (possible "
                "decompression bomb). Send it uncompressed or split it."
            )
        return data


class _Prefixed:
    """The header bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, stream) -> None:
        self.head, self.stream, self.closed = head, stream, False

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0 or size >= len(self.head):
                head, self.head = self.head, b""
                return head + self.stream.read(size - len(head) if size >= 0 else -1)
            head, self.head = self.head[:size], self.head[size:]
            return head
        return self.stream.read(size)
