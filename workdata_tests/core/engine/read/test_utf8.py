"""Line-wise UTF-8 repair gives exactly the bytes of decoding the whole input with replacement."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.engine.read.utf8 import Utf8Repair, boundary, is_utf8, repair_utf8, stream_is_utf8

# Pieces that make valid text, broken sequences and the bytes a broken one can border on.
_PIECES = st.sampled_from(
    [
        b"a",
        b",",
        b"\n",
        b"\r\n",
        b"\xc3\xa9",
        b"\xe4\xb8\xad",
        b"\xf0\x9f\x98\x80",
        b"\xe4\xb8",
        b"\xf0\x9f",
        b"\xc3",
        b"\x80",
        b"\xbf",
        b"\xff",
        b"\xfe",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xef\xbf\xbd",
    ]
)
_TEXT = st.lists(_PIECES | st.binary(max_size=4), max_size=60).map(b"".join)


def _whole(data: bytes) -> bytes:
    return data.decode("utf-8", "replace").encode()


@settings(max_examples=400)
@given(_TEXT)
def test_repair_equals_decoding_the_whole(data):
    assert repair_utf8(data) == _whole(data)
    assert is_utf8(data) is (_whole(data) == data and _decodes(data))


@settings(max_examples=400)
@given(_TEXT, st.integers(min_value=1, max_value=9))
def test_the_stream_read_in_any_sizes_equals_decoding_the_whole(data, size):
    stream, out = Utf8Repair(io.BytesIO(data)), []
    while piece := stream.read(size):
        out.append(piece)
    assert b"".join(out) == _whole(data)
    assert stream_is_utf8(io.BytesIO(data), chunk=size) is _decodes(data)


@given(_TEXT)
def test_a_cut_at_the_boundary_never_splits_a_character(data):
    cut = boundary(data)
    assert _whole(data[:cut]) + _whole(data[cut:]) == _whole(data)


def test_a_valid_line_is_left_as_it_is_and_only_broken_ones_change():
    data = "ok,中文\n".encode() + b"bad,\xe4\xb8\n" + b"ascii\n"
    assert repair_utf8(data) == "ok,中文\nbad,\ufffd\nascii\n".encode()
    assert repair_utf8(b"plain\n") == b"plain\n"


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
