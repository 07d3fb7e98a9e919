"""Validation: convert, run the domain's pandera checks lazily, look up references, split good from bad."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from workdata.core.conversion import convert, empty_failures, make_failures
from workdata.core.domain import Domain, Kind
from workdata.core.errors import RuleCrashedError, SchemaMismatchError
from workdata.core.records import ErrorType
from workdata.core.references import load_reference


@dataclass
class ValidationResult:
    """Typed good rows (index = source row) and one failure per failing row and reason."""

    good: pd.DataFrame
    failures: pd.DataFrame

    @property
    def failed_rows(self) -> int:
        """Rows with at least one failure: a row with several reasons counts once."""
        return int(self.failures["row_index"].nunique())


def check_columns(domain: Domain, raw: pd.DataFrame) -> None:
    """Raise SchemaMismatchError when a required column is absent."""
    missing = [name for name in domain.required_columns if name not in raw.columns]
    if missing:
        raise SchemaMismatchError(missing, [str(c) for c in raw.columns])


def validate(domain: Domain, raw: pd.DataFrame, reference_dir: Path | None = None) -> ValidationResult:
    """Every row ends up in `good` or has at least one record in `failures`."""
    check_columns(domain, raw)
    typed, conversion_failures = convert(domain, raw)
    failures = pd.concat(
        [
            conversion_failures,
            _pandera_failures(domain, typed),
            _reference_failures(domain, typed, reference_dir),
        ],
        ignore_index=True,
    )
    bad_rows = pd.Index(failures["row_index"].unique())
    good = _enrich(domain, typed.drop(index=bad_rows), reference_dir)
    return ValidationResult(good=_cast(domain, good), failures=failures)


@cache
def _check_schema(domain: Domain) -> pa.DataFrameSchema:
    # Types and nulls are settled by the converter; pandera checks values, NA ignored.
    schema = domain.pandera_schema.update_columns(
        {name: {"nullable": True, "dtype": None} for name in domain.pandera_schema.columns}
    )
    schema.coerce = False
    schema.report_duplicates = "exclude_first"
    return schema


def _pandera_failures(domain: Domain, typed: pd.DataFrame) -> pd.DataFrame:
    try:
        _check_schema(domain).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return empty_failures()
    whole_column = cases[cases["index"].isna()]
    if len(whole_column):
        # A check that raised (or judged a column as a whole) would otherwise let every row pass.
        checks = sorted(
            {f"{c} on {col}" for c, col in zip(whole_column["check"], whole_column["column"], strict=True)}
        )
        raise RuleCrashedError(checks, detail=whole_column.to_string()[:2000])
    row_cases = cases[cases["index"].notna()]
    unique = row_cases["check"].eq("multiple_fields_uniqueness")
    key = ", ".join(domain.business_key)
    dup_rows = pd.Index(row_cases.loc[unique, "index"].unique())
    value_cases = row_cases[~unique]
    messages = (
        value_cases["column"].astype(str)
        + ": value '"
        + value_cases["failure_case"].astype(str).str.slice(0, 80)
        + "' failed "
        + value_cases["check"].astype(str)
    )
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "row_index": value_cases["index"].to_numpy(),
                    "error_type": str(ErrorType.VALIDATION_FAILED),
                    "column": value_cases["column"].to_numpy(),
                    "check": value_cases["check"].astype(str).to_numpy(),
                    "message": messages.to_numpy(),
                }
            ),
            make_failures(
                dup_rows,
                ErrorType.VALIDATION_FAILED,
                key,
                "unique_business_key",
                f"duplicate business key ({key}) within the file",
            ),
        ],
        ignore_index=True,
    )


def _reference_failures(domain: Domain, typed: pd.DataFrame, reference_dir: Path | None) -> pd.DataFrame:
    failures = [empty_failures()]
    for ref in domain.references:
        values = typed[ref.column]
        unknown = values.notna() & ~values.isin(load_reference(ref.reference, reference_dir)[ref.key])
        if unknown.any():
            failures.append(
                make_failures(
                    typed.index[unknown],
                    ref.error_type,
                    ref.column,
                    f"reference:{ref.reference}",
                    f"{ref.column}: '"
                    + values[unknown].astype(str).str.slice(0, 80)
                    + f"' is not in reference table {ref.reference}",
                )
            )
    return pd.concat(failures, ignore_index=True)


def _enrich(domain: Domain, good: pd.DataFrame, reference_dir: Path | None) -> pd.DataFrame:
    for ref in domain.references:
        if ref.adds:
            table = load_reference(ref.reference, reference_dir).set_index(ref.key)
            for name in ref.adds:
                good[name] = good[ref.column].map(table[name])
    return good


def _cast(domain: Domain, good: pd.DataFrame) -> pd.DataFrame:
    casts = {Kind.INTEGER: "int64", Kind.FLOAT: "float64", Kind.BOOLEAN: "boolean"}
    dtypes = {
        spec.name: casts[spec.kind] if spec.required or spec.kind is not Kind.INTEGER else "Int64"
        for spec in domain.columns
        if spec.kind in casts
    }
    return good.astype(dtypes)
