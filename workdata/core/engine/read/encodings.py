"""CSV text encodings told by the file's byte-order mark: UTF-8 (with or without a BOM: the fast path) and
UTF-16 (little or big endian), read as UTF-8. Code units that do not decode become U+FFFD, so their rows
are MALFORMED like any row with undecodable bytes."""

from __future__ import annotations

import codecs
from typing import BinaryIO

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 20


def encoding_of(head: bytes) -> str:
    """The encoding a file's first bytes announce: UTF-16 or UTF-8 by their BOM, else UTF-8."""
    if head.startswith(_UTF16_BOMS):
        return UTF16
    return UTF8_BOM if head.startswith(codecs.BOM_UTF8) else UTF8


def utf16_as_utf8(data: bytes) -> bytes:
    """UTF-16 bytes (BOM first) as UTF-8 bytes; what does not decode becomes U+FFFD."""
    return data.decode(UTF16, "replace").encode(UTF8)


class Utf16Stream:
    """A UTF-16 byte stream (BOM first) read as UTF-8 bytes, decoded a chunk at a time as it is read."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.closed, self._pending = stream, False, b""
        self._decoder = codecs.getincrementaldecoder(UTF16)("replace")

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes of UTF-8 (all that is left when `size` is negative)."""
        while size < 0 or len(self._pending) < size:
            chunk = self.stream.read(_CHUNK)
            self._pending += self._decoder.decode(chunk, final=not chunk).encode(UTF8)
            if not chunk:
                break
        if size < 0:
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data
