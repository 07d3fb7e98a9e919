"""Explicit, vectorised conversion of raw text columns to types, recording every value that fails."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.domain import ColumnSpec, Domain, Kind
from workdata.core.engine.validate.distinct import Distinct
from workdata.core.engine.validate.numbers import plain_numbers, split_plain_numbers
from workdata.core.engine.validate.row_failures import (
    concat_failures,
    empty_failures,
    make_failures,
    value_messages,
)
from workdata.core.engine.validate.text_kinds import NUMERIC, as_series, expectation, stripped, typed_values
from workdata.core.records import ErrorType

_DISTINCT_MIN_ROWS = 1_000  # below this, encoding costs more than it saves


@dataclass
class Converted:
    """The typed frame, the conversion failures, and the distinct values of low-cardinality columns."""

    typed: pd.DataFrame
    failures: pa.Table
    distinct: dict[str, Distinct] = field(default_factory=dict)


def convert(domain: Domain, raw: pd.DataFrame, distinct_values: bool = True) -> Converted:
    """Typed frame (NA where empty or unconvertible) and the conversion/required failures.

    With `distinct_values` a column whose values mostly repeat is converted one distinct value at a time.
    """
    typed: dict[str, pd.Series] = {}
    distinct: dict[str, Distinct] = {}
    failures = [empty_failures()]
    for spec in domain.columns:
        column = _column(spec, raw, distinct_values)
        typed[spec.name] = column.typed
        if column.distinct is not None:
            distinct[spec.name] = column.distinct
        failures += _failures(spec, raw.index, column)
    return Converted(pd.DataFrame(typed, index=raw.index), concat_failures(failures), distinct)


@dataclass(frozen=True)
class _Column:
    typed: pd.Series
    blank: np.ndarray
    unconvertible: np.ndarray
    shown: pa.Array | None  # the unconvertible values' text, in row order
    distinct: Distinct | None = None


def _column(spec: ColumnSpec, raw: pd.DataFrame, distinct_values: bool) -> _Column:
    text = _text(raw, spec.name)
    encoded = _encoded(spec, text) if distinct_values else None
    if encoded is not None:
        # Few distinct values (codes, names, months): each is converted once, not once per row.
        distinct, text = _distinct(spec, *encoded)
        blank = distinct.expand(np.asarray(text.is_null()))
        unconvertible = distinct.expand(distinct.values.isna().to_numpy()) & ~blank
        shown = text.take(distinct.codes[unconvertible]) if unconvertible.any() else None
        return _Column(
            _expanded(raw, spec, distinct, text, encoded[0]), blank, unconvertible, shown, distinct
        )
    if spec.kind in NUMERIC:
        numbers = plain_numbers(text, raw.index, spec.kind is Kind.INTEGER)
        if numbers is not None:
            return _judged(numbers, np.zeros(len(text), bool), text)
        column = _mostly_plain(spec, text, raw.index)
        if column is not None:
            return column
    return _full_road(spec, text, raw.index)


def _full_road(spec: ColumnSpec, text: pa.Array, index: pd.Index) -> _Column:
    text = stripped(text)  # Arrow text, blanks as nulls: the work stays columnar
    return _judged(typed_values(spec, text, index), np.asarray(text.is_null()), text)


def _mostly_plain(spec: ColumnSpec, text: pa.Array, index: pd.Index) -> _Column | None:
    # A block's few odd values (blanks, padding, decorations, garbage) go the full road on their own, a
    # small array; Arrow casts the plain rest in one pass.
    split = split_plain_numbers(text, spec.kind is Kind.INTEGER)
    if split is None:
        return None
    numbers, odd = split
    few = _full_road(spec, text.take(odd), pd.RangeIndex(len(odd)))
    numbers[odd] = few.typed.to_numpy()
    blank = np.zeros(len(text), bool)
    blank[odd] = few.blank
    typed = pd.Series(numbers, index=index, dtype="float64")
    unconvertible = np.isnan(numbers) & ~blank
    beside = unconvertible.copy()
    beside[odd] = False
    if beside.any():  # a plain value out of range ("1e999") is shown beside the odd ones, in row order
        mask = np.zeros(len(text), bool)
        mask[odd] = True
        whole = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        odd_text = stripped(whole.take(odd))
        return _judged(typed, blank, pc.replace_with_mask(whole, pa.array(mask), odd_text))
    return _Column(typed, blank, unconvertible, few.shown)


def _judged(converted: pd.Series, blank: np.ndarray, text: pa.Array) -> _Column:
    unconvertible = converted.isna().to_numpy() & ~blank
    shown = text.filter(pa.array(unconvertible)) if unconvertible.any() else None
    return _Column(converted, blank, unconvertible, shown)


def _failures(spec: ColumnSpec, index: pd.Index, column: _Column) -> list[pa.Table]:
    failures = []
    if column.shown is not None:
        failures.append(
            make_failures(
                index[column.unconvertible],
                ErrorType.VALIDATION_FAILED,
                spec.name,
                f"convert_to_{spec.kind}",
                value_messages(f"{spec.name}: '", column.shown, f"' {expectation(spec)}"),
            )
        )
    if spec.required and column.blank.any():
        failures.append(
            make_failures(
                index[column.blank],
                ErrorType.VALIDATION_FAILED,
                spec.name,
                "not_nullable",
                f"{spec.name}: required value is missing",
            )
        )
    return failures


def _text(raw: pd.DataFrame, name: str) -> pa.Array:
    if name not in raw:
        return pa.nulls(len(raw), pa.large_string())
    # Arrow's large_string, as pandas holds text: no copy of the offsets either way.
    return pa.array(raw[name].astype("str"), from_pandas=True)


def _encoded(spec: ColumnSpec, text: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    # Numbers are mostly distinct; codes, names and months mostly repeat. One hash pass tells.
    if spec.kind in NUMERIC or len(text) < _DISTINCT_MIN_ROWS:
        return None
    encoded = pc.dictionary_encode(text, null_encoding="encode")  # a missing value is one more
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    dictionary = chunks[0].dictionary  # a chunked column's chunks all hold the one final dictionary
    if len(dictionary) * 2 > len(text) or any(len(c.dictionary) != len(dictionary) for c in chunks):
        return None
    return dictionary, np.concatenate([np.asarray(c.indices, dtype=np.intp) for c in chunks])


def _distinct(spec: ColumnSpec, dictionary: pa.Array, codes: np.ndarray) -> tuple[Distinct, pa.Array]:
    text = stripped(dictionary)
    return Distinct(typed_values(spec, text, pd.RangeIndex(len(text))), codes), text


def _expanded(
    raw: pd.DataFrame, spec: ColumnSpec, column: Distinct, text: pa.Array, dictionary: pa.Array
) -> pd.Series:
    if spec.kind is not Kind.TEXT:
        return pd.Series(column.values.array.take(column.codes), index=raw.index, dtype=column.values.dtype)
    if spec.name in raw and not text.null_count and text.equals(dictionary):
        return raw[spec.name].astype("str")  # nothing stripped or blanked: the raw text as it is
    return as_series(text.take(column.codes), raw.index)
