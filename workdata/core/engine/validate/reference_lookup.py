"""Rows checked against reference tables, and good rows enriched from them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workdata.core.domain import Domain
from workdata.core.engine.validate.conversion import Converted
from workdata.core.engine.validate.distinct import judged
from workdata.core.engine.validate.reference_tables import load_reference
from workdata.core.engine.validate.row_failures import (
    concat_failures,
    empty_failures,
    make_failures,
    value_messages,
)


def reference_failures(domain: Domain, converted: Converted, reference_dir: Path | None) -> pa.Table:
    """One failure per row whose value is missing from a reference table it is checked against."""
    failures = [empty_failures()]
    for ref in domain.references:
        values = converted.typed[ref.column]
        known = load_reference(ref.reference, reference_dir, (ref.key,))[ref.key]
        unknown = judged(
            lambda v, known=known: (v.notna() & ~v.isin(known)).to_numpy(),
            values,
            converted.distinct.get(ref.column),
        )
        if unknown.any():
            failures.append(
                make_failures(
                    values.index[unknown],
                    ref.error_type,
                    ref.column,
                    f"reference:{ref.reference}",
                    value_messages(
                        f"{ref.column}: '", values[unknown], f"' is not in reference table {ref.reference}"
                    ),
                )
            )
    return concat_failures(failures)


def enrich(domain: Domain, good: pd.DataFrame, reference_dir: Path | None) -> pd.DataFrame:
    """`good` with the columns its references add (company names, ...), looked up by key."""
    for ref in domain.references:
        if ref.adds:
            table = load_reference(ref.reference, reference_dir, (ref.key, *ref.adds))
            # Arrow's lookup (the first row of a key, as pandas' map): no index built per block.
            keys = pa.array(good[ref.column], type=pa.string(), from_pandas=True)
            at = pc.index_in(keys, value_set=pa.array(table[ref.key], type=pa.string()))
            for name in ref.adds:
                found = pa.array(table[name], type=pa.string()).take(at)
                values = found.to_pandas().astype("str")
                values.index = good.index
                good[name] = values
    return good
