"""Validation: convert, run the domain's pandera checks lazily, look up references, split good from bad."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.domain import Domain, Kind
from workdata.core.engine.validate.conversion import Converted, convert
from workdata.core.engine.validate.distinct import Distinct, judged
from workdata.core.engine.validate.key_tracker import key_hashes
from workdata.core.engine.validate.pandera_checks import check_output, row_wise
from workdata.core.engine.validate.reference_lookup import enrich, reference_failures
from workdata.core.engine.validate.row_failures import (
    concat_failures,
    empty_failures,
    make_failures,
    value_messages,
)
from workdata.core.errors import RuleCrashedError, SchemaMismatchError
from workdata.core.records import ErrorType


@dataclass(frozen=True)
class BlockKeys:
    """Every row's business-key hash, and which rows repeat a key of an earlier row of the same block."""

    rows: np.ndarray
    hashes: np.ndarray
    repeated: np.ndarray


@dataclass
class ValidationResult:
    """Typed good rows (index = source row) and one failure per failing row and reason."""

    good: pd.DataFrame
    failure_table: pa.Table
    keys: BlockKeys | None = None

    @property
    def failures(self) -> pd.DataFrame:
        """The failures as a frame (FAILURE_COLUMNS), for reading; the pipeline works on the table."""
        return self.failure_table.to_pandas()

    @property
    def failed_rows(self) -> int:
        """Rows with at least one failure: a row with several reasons counts once."""
        return len(pc.unique(self.failure_table["row_index"]))


def check_columns(domain: Domain, raw: pd.DataFrame) -> None:
    """Raise SchemaMismatchError when a required column is absent."""
    missing = [name for name in domain.required_columns if name not in raw.columns]
    if missing:
        raise SchemaMismatchError(missing, [str(c) for c in raw.columns])


def validate(
    domain: Domain,
    raw: pd.DataFrame,
    reference_dir: Path | None = None,
    hash_keys: bool = False,
    distinct_values: bool = True,
) -> ValidationResult:
    """Every row ends up in `good` or has at least one record in `failures`.

    With `hash_keys` the result carries every row's business-key hash, so the caller can find keys
    repeated across the blocks of one file. `distinct_values` judges repeating values once (same result).
    """
    check_columns(domain, raw)
    converted = convert(domain, raw, distinct_values)
    typed = converted.typed
    repeated, duplicates = _duplicate_keys(domain, typed)
    failures = concat_failures(
        [
            converted.failures,
            _pandera_failures(domain, converted),
            duplicates,
            reference_failures(domain, converted, reference_dir),
        ]
    )
    bad = np.isin(typed.index.to_numpy(), np.asarray(failures["row_index"]))
    # No copy of a block without bad rows (most blocks of most files).
    good = enrich(domain, typed.iloc[np.flatnonzero(~bad)] if bad.any() else typed, reference_dir)
    keys = None
    if hash_keys and repeated is not None:
        hashes = key_hashes(typed[list(domain.business_key)], converted.distinct)
        keys = BlockKeys(typed.index.to_numpy(dtype=np.int64), hashes, repeated)
    return ValidationResult(good=_cast(domain, good), failure_table=failures, keys=keys)


@cache
def _schema(domain: Domain) -> pandera.DataFrameSchema:
    # Built once per domain: DataFrameModel.to_schema is not free and validation runs per block.
    return domain.pandera_schema


def _pandera_failures(domain: Domain, converted: Converted) -> pa.Table:
    # Each check of the schema runs through pandera's own check backend on its already-typed column;
    # skipping the container machinery (dtype, nullability: settled by the converter) is what makes it fast.
    schema, typed = _schema(domain), converted.typed
    parts = [empty_failures()]
    for name, column in schema.columns.items():
        if name in typed:
            distinct = converted.distinct.get(name)
            parts += [_failures_of(check, typed[name], name, distinct) for check in column.checks]
    parts += [_failures_of(check, typed, "DataFrameSchema") for check in schema.checks]
    return concat_failures(parts)


def _failures_of(
    check: pandera.Check, data: pd.Series | pd.DataFrame, column: str, distinct: Distinct | None = None
) -> pa.Table:
    label = str(check.error or check.name)
    try:
        # A row-wise built-in judges a row by its value alone: each distinct value is judged once.
        by_value = distinct if row_wise(check) else None
        passed = judged(lambda values: _passed(check, values), data, by_value)
    except Exception as exc:
        raise RuleCrashedError([f"{label} on {column}"], detail=f"{type(exc).__name__}: {exc}") from exc
    if passed.all():
        return empty_failures()
    failing = np.flatnonzero(~passed)
    values = data.iloc[failing] if isinstance(data, pd.Series) else pd.Series("", index=failing)
    messages = value_messages(f"{column}: value '", values, f"' failed {label}")
    return make_failures(data.index[failing], ErrorType.VALIDATION_FAILED, column, label, messages)


def _passed(check: pandera.Check, data: pd.Series | pd.DataFrame) -> np.ndarray:
    output = check_output(check, data)
    if isinstance(output, pd.DataFrame):
        output = output.all(axis=1)
    if not isinstance(output, pd.Series):
        # A check that judged the column as a whole would otherwise let every row pass.
        raise TypeError(f"non-row-wise result {output!r}"[:2000])
    return output.astype(bool).to_numpy()


def _duplicate_keys(domain: Domain, typed: pd.DataFrame) -> tuple[np.ndarray | None, pa.Table]:
    key = list(domain.business_key)
    if not key or not set(key) <= set(typed.columns):
        return None, empty_failures()
    repeated = typed.duplicated(subset=key, keep="first").to_numpy()
    return repeated, duplicate_key_failures(domain, typed.index[repeated])


def duplicate_key_failures(domain: Domain, rows: pd.Index | np.ndarray) -> pa.Table:
    """The failure of rows whose business key an earlier row of the file already had."""
    label = ", ".join(domain.business_key)
    return make_failures(
        rows,
        ErrorType.VALIDATION_FAILED,
        label,
        "unique_business_key",
        f"duplicate business key ({label}) within the file",
    )


def _cast(domain: Domain, good: pd.DataFrame) -> pd.DataFrame:
    casts = {Kind.INTEGER: "int64", Kind.FLOAT: "float64", Kind.BOOLEAN: "boolean"}
    dtypes = {
        spec.name: casts[spec.kind] if spec.required or spec.kind is not Kind.INTEGER else "Int64"
        for spec in domain.columns
        if spec.kind in casts
    }
    return good.astype(dtypes)
