"""CSV via pyarrow: rows with their record numbers; wrong field counts, broken quoting and undecodable
bytes become SetAsideRow; huge first lines and rows fail the file plainly instead of exhausting memory."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from workdata.core.arrow import text_buffers
from workdata.core.engine.read.encodings import JUDGED_BYTES, UTF8, UTF8_BOM, as_utf8, choose_encoding
from workdata.core.engine.read.headers import normalise_header
from workdata.core.engine.read.raw_table import ROW_INDEX, RawTable, ReadOptions, SetAsideRow, finish_table
from workdata.core.engine.read.utf8 import repair_utf8, stream_is_utf8
from workdata.core.errors import LineTooLongError, MalformedFileError
from workdata.core.records import ErrorType

BOM = b"\xef\xbb\xbf"
_REPLACEMENT = "\ufffd"
MAX_HEADER_BYTES = 1 << 20
MAX_LINE_BYTES = 16 << 20  # pyarrow needs a whole row inside one block


def read_csv(data: bytes, options: ReadOptions) -> RawTable:
    """CSV via pyarrow; wrong field counts, broken quoting and undecodable bytes become SetAsideRow."""
    encoding, valid = text_encoding(data, options.encodings)
    if encoding not in (UTF8, UTF8_BOM):
        data = as_utf8(data, encoding)
    data = data[len(BOM) :] if data.startswith(BOM) else data
    header = csv_header(data)  # a header that did not decode fails the file
    # pyarrow cannot hand a row with invalid UTF-8 to the invalid-row handler, so bad bytes become U+FFFD
    # and every row holding one is set aside as MALFORMED below (so are those of a transcoded file that
    # did not decode): marked, never silently loaded.
    cleaned = not valid or encoding not in (UTF8, UTF8_BOM)
    data = data if valid else repair_utf8(data)
    malformed: list[SetAsideRow] = []
    try:
        table = parse_csv(io.BytesIO(data), header, invalid_row_handler(malformed, cleaned))
    except pa.ArrowInvalid as exc:
        raise_if_straddled(exc)
        raise
    row_index = _fill_row_numbers(table.num_rows, {m.row_index for m in malformed})
    frame, undecodable = split_undecodable(table, row_index, cleaned)
    return replace(finish_table(frame, malformed + undecodable), encoding=encoding)


def text_encoding(data: bytes, allowed: tuple[str, ...]) -> tuple[str, bool]:
    """The encoding of a whole CSV and whether its bytes are valid in it as they are (UTF-8, checked in
    chunks so a large file is never held twice): its BOM's, UTF-8 when valid (the fast path), else the
    allowed encoding that decodes it best (docs/DESIGN.md, "Encodings")."""
    return choose_encoding(
        data[:4], lambda: stream_is_utf8(io.BytesIO(data)), lambda: data[:JUDGED_BYTES], allowed
    )


def invalid_row_handler(malformed: list[SetAsideRow], cleaned: bool):
    """A pyarrow invalid-row handler that keeps each unparsable row, with its number, in `malformed`."""

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        # An exception here would be swallowed by pyarrow and the row lost: nothing in it may raise.
        if not (row.text or "").strip(BLANK_LINE_CHARS):
            malformed.append(blank_line((row.number or 0) - 1, row.text or ""))
            return "skip"
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        if cleaned and _REPLACEMENT in row.text:
            reason += "; undecodable bytes"
        malformed.append(SetAsideRow((row.number or 0) - 1, row.text, reason))
        return "skip"

    return on_invalid


BLANK_LINE_CHARS = ", \t\r\n"  # a line of only these is blank or filler (",,,,"), not data


def blank_line(number: int, text: str) -> SetAsideRow:
    """A blank or filler line, dropped on purpose: counted, kept in the failure log, never validated."""
    return SetAsideRow(number, text, "blank line: no values", ErrorType.DROPPED_IN_PIPELINE, "blank_row")


def raise_if_straddled(exc: pa.ArrowInvalid, block: int = MAX_LINE_BYTES) -> None:
    """Raise the plain error for a row longer than a parse block; anything else is left to the caller."""
    if "straddl" not in str(exc):
        return
    raise LineTooLongError(
        f"A line is longer than {block / 2**20:g} MB; no CSV row can be that long. Check the "
        "file's line endings and quoting.",
        block_bytes=block,
        detail=str(exc),
    ) from exc


def parse_csv(source, header: list[str], on_invalid, stream: bool = False, block: int = MAX_LINE_BYTES):
    """Every field as text (a Table), or with `stream` a reader yielding record batches of `block` bytes."""
    read = pa_csv.open_csv if stream else pa_csv.read_csv
    return read(
        source,
        read_options=pa_csv.ReadOptions(
            column_names=header, skip_rows=1, use_threads=False, block_size=block
        ),
        # Blank lines are rows too (dropped, counted): row numbers stay the file's data lines.
        parse_options=pa_csv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )


def csv_header(data: bytes) -> list[str]:
    """The normalised column names of the first line; a whole-file failure when it is no CSV header."""
    end = data.find(b"\n", 0, MAX_HEADER_BYTES)
    if end < 0 and len(data) > MAX_HEADER_BYTES:
        # Never copy a huge first line just to find out it is not a header.
        raise MalformedFileError(
            f"The first line is longer than {MAX_HEADER_BYTES // 2**20} MB, so it is no CSV header; "
            "check the file's line endings and format."
        )
    first_line = data[: end if end >= 0 else len(data)].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(
            "The file is not a readable CSV: its header is not UTF-8 text.", detail=str(exc)
        ) from exc
    if "\x00" in text or not text.strip():
        raise MalformedFileError("The file is not a readable CSV: it has no text header.")
    if "\r" in text:
        raise MalformedFileError(
            "The file's lines end in a bare carriage return (old Mac format), so its rows cannot be told "
            "apart; save it again with Windows or Unix line endings and drop it again."
        )
    try:
        header = [normalise_header(name) for name in next(csv.reader([text]))]
    except csv.Error as exc:
        raise MalformedFileError("The CSV header cannot be parsed; fix the header.", detail=str(exc)) from exc
    if len(set(header)) != len(header) or "" in header:
        raise MalformedFileError("The CSV header has empty or duplicate column names; fix the header.")
    return header


def _fill_row_numbers(n_parsed: int, taken: set[int]) -> np.ndarray:
    # Parsed rows occupy, in order, the record numbers not used by skipped rows.
    free = np.ones(n_parsed + len(taken), dtype=bool)
    skipped = np.fromiter(taken, dtype=np.int64)
    free[skipped[(skipped >= 1) & (skipped <= len(free))] - 1] = False
    return (np.flatnonzero(free)[:n_parsed] + 1).astype(np.int64)


def split_undecodable(
    table: pa.Table, row_index: np.ndarray, cleaned: bool
) -> tuple[pd.DataFrame, list[SetAsideRow]]:
    """The parsed rows as a frame indexed by row number, minus rows holding a repaired (U+FFFD) byte."""
    malformed: list[SetAsideRow] = []
    if cleaned:
        first_hit = _first_repaired_column(table)
        positions = np.flatnonzero(first_hit >= 0)
        if len(positions):
            lines = _as_lines(table.take(pa.array(positions))).to_pylist()
            malformed = [
                SetAsideRow(
                    int(row_index[pos]), line, f"undecodable bytes in column '{table.column_names[col]}'"
                )
                for pos, line, col in zip(positions, lines, first_hit[positions], strict=True)
            ]
            # Filtered while still Arrow: far cheaper than dropping rows from the pandas frame.
            keep = first_hit < 0
            table, row_index = table.filter(pa.array(keep)), row_index[keep]
    frame = table.to_pandas()
    frame.index = pd.Index(row_index, name=ROW_INDEX)
    return frame, malformed


def _first_repaired_column(table: pa.Table) -> np.ndarray:
    # Per row, the first column holding U+FFFD, or -1.
    first = np.full(table.num_rows, -1, dtype=np.int64)
    for number, name in reversed(list(enumerate(table.column_names))):
        first[holds_replacement(table[name])] = number
    return first


def holds_replacement(column: pa.ChunkedArray) -> np.ndarray:
    """Per row, True when the cell holds U+FFFD: found in the column's bytes, ~20x faster than a search
    per cell. Every cell is valid UTF-8, so the three bytes never straddle two cells."""
    found, start = np.zeros(len(column), dtype=bool), 0
    for chunk in column.chunks:
        if chunk.type != pa.string() or chunk.null_count:
            hits = np.asarray(pc.match_substring(chunk, _REPLACEMENT).fill_null(False), dtype=bool)
            found[start : start + len(chunk)] = hits
        elif len(chunk):
            offsets, data = text_buffers(chunk)
            data = data[offsets[0] : offsets[-1]]
            lead = np.flatnonzero(data[:-2] == 0xEF)  # rare: one pass, the next two bytes only where found
            at = lead[(data[lead + 1] == 0xBF) & (data[lead + 2] == 0xBD)] + offsets[0]
            found[start + np.searchsorted(offsets, at, side="right") - 1] = True
        start += len(chunk)
    return found


def _as_lines(table: pa.Table) -> pa.Array:
    # As csv.writer would write them: a cell is quoted only when it holds a comma, quote or line break.
    cells = []
    for name in table.column_names:
        text = pc.fill_null(table[name], "")
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        cells.append(pc.if_else(pc.match_substring_regex(text, '[,"\r\n]'), quoted, text))
    return pc.binary_join_element_wise(*cells, ",").combine_chunks()
