"""A CSV's text encoding, among those its domain allows, read as UTF-8. UTF-8 (with or without a BOM) is
the fast path: its bytes are used as they are. UTF-16 is told by its BOM. Bytes that are not UTF-8 are
tried against the other allowed encodings (GB18030, which covers GBK and GB2312, by default) — unless
they look like UTF-8 with a few damaged bytes, which stays UTF-8 so that only the damaged rows are
MALFORMED. Whatever decodes under no allowed encoding becomes U+FFFD, so its row is MALFORMED too."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import BinaryIO

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16 = "utf-16"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_REPLACEMENT = "\ufffd"
_CHUNK = 1 << 20
_ASCII = bytes(range(128))
JUDGED_BYTES = 2 << 20  # bytes that are not UTF-8 are judged on the file's first 2 MB (~15k rows)
MIN_EVIDENCE = 4  # non-ASCII characters another encoding must read before it is believed


def encoding_of(head: bytes) -> str:
    """The encoding a file's first bytes announce: UTF-16 or UTF-8 by their BOM, else UTF-8."""
    if head.startswith(_UTF16_BOMS):
        return UTF16
    return UTF8_BOM if head.startswith(codecs.BOM_UTF8) else UTF8


def choose_encoding(
    head: bytes, utf8_valid: Callable[[], bool], sample: Callable[[], bytes], allowed: tuple[str, ...]
) -> tuple[str, bool]:
    """A CSV's encoding, from its first bytes, whether it is all valid UTF-8 and (only when it is not) a
    sample of it; and whether its bytes need no repair once read in it (false for UTF-8 with damaged
    sequences, whose rows are then set aside)."""
    announced = encoding_of(head)
    if announced == UTF16 and UTF16 in allowed:
        return UTF16, True  # decoded as read: what does not decode is marked then
    if (UTF8 in allowed or announced == UTF8_BOM) and utf8_valid():
        return announced, True  # the fast path
    chosen = fallback_encoding(sample(), allowed)
    return (announced, False) if chosen == UTF8 else (chosen, True)


def fallback_encoding(sample: bytes, allowed: Iterable[str]) -> str:
    """The encoding of bytes that are not valid UTF-8: the first allowed one that reads `sample` as text
    (at least MIN_EVIDENCE non-ASCII characters, under 1% of them undecodable), else UTF-8, whose damaged
    rows are then set aside. Bytes that read as UTF-8 with a few broken sequences (more valid multi-byte
    characters than broken ones) stay UTF-8 first; so do stray bytes in ASCII text, which another
    encoding might decode into something (a wrong character loaded is worse than a row set aside)."""
    allowed = list(allowed)
    if b"\x00" in sample:
        return UTF8  # binary, not text in any encoding tried here: read as UTF-8 it fails plainly
    others = [name for name in allowed if name not in (UTF8, UTF8_BOM, UTF16)]
    as_utf8 = sample.decode(UTF8, "replace")
    broken = as_utf8.count(_REPLACEMENT)
    ascii_bytes = len(sample) - len(sample.translate(None, _ASCII))  # each decodes to one character
    if UTF8 in allowed and len(as_utf8) - ascii_bytes - broken >= broken:
        return UTF8
    for name in others:
        characters, errors = _decoded(sample, name, ascii_bytes)
        if characters >= MIN_EVIDENCE and errors * 100 <= characters:
            return name
    return UTF8 if UTF8 in allowed or not others else others[0]


def _decoded(sample: bytes, encoding: str, ascii_bytes: int) -> tuple[int, int]:
    """(non-ASCII characters, undecodable sequences) of `sample` read in `encoding`; a last multi-byte
    sequence cut by the sample's end is not an error."""
    text = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=False)
    errors = text.count(_REPLACEMENT)
    return len(text) - ascii_bytes - errors, errors


def as_utf8(data: bytes, encoding: str) -> bytes:
    """`data` in `encoding` as UTF-8 bytes; what does not decode becomes U+FFFD."""
    return data.decode(encoding, "replace").encode(UTF8)


class Transcoded:
    """A byte stream in `encoding` read as UTF-8 bytes, decoded a chunk at a time as it is read."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self.stream, self.closed, self._pending = stream, False, b""
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")

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
