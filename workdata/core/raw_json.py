"""Rows of text as JSON objects, built column by column in Arrow (the text pandas' writer would give)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# JSON's two-character escapes; every other control character becomes \u00XX, as pandas writes it.
_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_CONTROL = r"[\x00-\x1f]"


def text_rows_as_json(rows: pd.DataFrame) -> pd.Series | None:
    """One JSON object per row (no spaces, keys in column order, missing -> null), or None when a
    column is not text (the caller then asks pandas)."""
    try:
        columns = [pa.array(rows[name], type=pa.string(), from_pandas=True) for name in rows.columns]
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    pieces: list[pa.Array | pa.Scalar] = []
    for number, (name, values) in enumerate(zip(rows.columns, columns, strict=True)):
        key = ("{" if number == 0 else ",") + json.dumps(str(name), ensure_ascii=False) + ":"
        pieces += [pa.scalar(key), _json_strings(values)]
    pieces.append(pa.scalar("}"))
    lines = pc.binary_join_element_wise(*pieces, "")
    built = lines.to_pandas()  # Arrow-backed text already: no round trip through Python strings
    built.index = rows.index
    return built


def _json_strings(values: pa.Array) -> pa.Array:
    text = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    if pc.any(pc.match_substring_regex(text, _CONTROL)).as_py():
        for code in range(32):
            char = chr(code)
            if pc.any(pc.match_substring(text, char)).as_py():
                text = pc.replace_substring(text, char, _SHORT.get(char, f"\\u{code:04x}"))
    return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
