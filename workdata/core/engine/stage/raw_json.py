"""Rows of text as JSON objects, built column by column in Arrow (the text pandas' writer would give)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.arrow import any_byte_in

# A value holding one of these needs escaping (JSON's short escapes, \u00XX for other control characters).
_NEEDS_ESCAPE = r'[\\"\x00-\x1f]'
_ESCAPED_BYTE = np.zeros(256, dtype=bool)  # UTF-8 never uses these bytes inside a longer character
_ESCAPED_BYTE[[*range(0x20), ord('"'), ord("\\")]] = True


def json_objects(names: list[str], columns: list[pa.Array]) -> pa.Array:
    """One JSON object per row of the text `columns` (no spaces, keys in order, missing -> null)."""
    pieces: list[pa.Array | pa.Scalar] = []
    before = "{"  # what goes before the next key: the previous value's closing quote is left to it
    for name, values in zip(names, columns, strict=True):
        key = before + json.dumps(str(name), ensure_ascii=False) + ":"
        if values.null_count or any_byte_in(values, _ESCAPED_BYTE):
            pieces += [pa.scalar(key), json_strings(values)]
            before = ","
        else:  # the usual column: its quotes go into the text around it, no pass of its own
            pieces += [pa.scalar(key + '"'), values]
            before = '",'
    pieces.append(pa.scalar(before.rstrip(",") + "}"))
    return pc.binary_join_element_wise(*pieces, "")


def json_strings(values: pa.Array) -> pa.Array:
    """Each value as a JSON string (quoted, escaped as json.dumps does without ensure_ascii); null -> null."""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    # Most values need no escape: only those that do are written by json, one at a time.
    if any_byte_in(values, _ESCAPED_BYTE):
        needs = pc.fill_null(pc.match_substring_regex(values, _NEEDS_ESCAPE), False)
        escaped = [json.dumps(value, ensure_ascii=False) for value in values.filter(needs).to_pylist()]
        quoted = pc.replace_with_mask(quoted, needs, pa.array(escaped, quoted.type))
    return pc.fill_null(quoted, "null")
