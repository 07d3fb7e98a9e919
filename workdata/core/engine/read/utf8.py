"""Invalid UTF-8 made valid line by line: the bytes Python's `errors="replace"` decoding gives, found
with numpy instead of decoding (and re-encoding) every byte, which holds the GIL."""

from __future__ import annotations

from typing import BinaryIO

import numpy as np


def repair_utf8(data: bytes) -> bytes:
    """`data.decode("utf-8", "replace").encode()`, decoding only the lines that hold a non-ASCII byte.

    A line ends in an ASCII newline, which no broken sequence can swallow, so repairing lines one by one
    gives the same bytes as repairing the whole.
    """
    if data.isascii():
        return data
    view = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(view == 0x0A) + 1
    suspects = np.unique(np.searchsorted(ends, np.flatnonzero(view >= 0x80), side="right"))
    parts, done = [], 0
    for line in suspects.tolist():
        start = int(ends[line - 1]) if line else 0
        end = int(ends[line]) if line < len(ends) else len(data)
        text = data[start:end].decode("utf-8", "replace").encode()
        if text != data[start:end]:  # a valid line decodes to itself
            parts += [data[done:start], text]
            done = end
    if not parts:
        return data
    parts.append(data[done:])
    return b"".join(parts)


def is_utf8(data: bytes) -> bool:
    """True when `data` decodes as UTF-8 (ASCII, the common case, is told without decoding)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def stream_is_utf8(stream: BinaryIO, chunk: int = 4 << 20) -> bool:
    """True when the whole stream decodes as UTF-8, read `chunk` bytes at a time."""
    carry = b""
    while block := stream.read(chunk):
        data = carry + block
        cut = boundary(data)
        if not is_utf8(data[:cut]):
            return False
        carry = data[cut:]
    return is_utf8(carry)


def boundary(data: bytes) -> int:
    """Where `data` can be cut without splitting a character: before the lead byte of its last sequence
    (a broken sequence ends at any byte that cannot continue it, so both sides decode as the whole)."""
    if not data or data[-1] < 0x80:
        return len(data)
    for at in range(len(data) - 1, max(len(data) - 4, 0) - 1, -1):
        if data[at] >= 0xC0 or data[at] < 0x80:
            return at if data[at] >= 0xC0 else at + 1
    return len(data)  # four continuation bytes: broken whatever follows


class Utf8Repair:
    """A byte stream whose invalid UTF-8 reads as U+FFFD, exactly as the whole stream decoded with
    replacement would; never cut inside a sequence, so one split between two reads stays whole."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.closed, self.carry = stream, False, b""

    def read(self, size: int = -1) -> bytes:
        """About the next `size` bytes, repaired; empty only at the end of the stream."""
        while True:
            block = self.stream.read(size)
            data = self.carry + block
            cut = boundary(data) if block else len(data)
            self.carry = data[cut:]
            if cut or not block:
                return repair_utf8(data[:cut])
