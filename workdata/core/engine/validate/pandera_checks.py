"""pandera's row-wise built-in checks evaluated directly on a typed column, without the check backend."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.api.function_dispatch import Dispatcher
from pandera.backends.pandas import builtin_checks  # noqa: F401  (registers the pandas implementations)

# Built-ins whose result for a row depends on that row alone, so evaluating them on the whole column
# (missing values included, then passed) equals pandera's evaluation on the column without them.
ROW_WISE = frozenset(
    {
        "equal_to",
        "not_equal_to",
        "greater_than",
        "greater_than_or_equal_to",
        "less_than",
        "less_than_or_equal_to",
        "in_range",
        "isin",
        "notin",
        "str_matches",
        "str_contains",
        "str_startswith",
        "str_endswith",
        "str_length",
    }
)


def check_output(check: pa.Check, data: pd.Series | pd.DataFrame) -> object:
    """The check's row-wise result on `data`, as pandera's `check(data).check_output` gives it."""
    if not (isinstance(data, pd.Series) and row_wise(check)):
        return check(data).check_output
    # pandera's backend costs ~2 ms a call on 100k rows (missing values dropped, failure cases gathered);
    # the built-in function itself is one vectorised comparison.
    result = check._check_fn(data, **check._check_kwargs)
    if isinstance(result, pd.Series):
        passed = result.to_numpy(dtype=bool, na_value=False)
    else:
        passed = pd.Series(result, index=data.index).fillna(False).to_numpy(dtype=bool)
    if check.ignore_na:
        passed = passed | data.isna().to_numpy()
    return pd.Series(passed, index=data.index)


def row_wise(check: pa.Check) -> bool:
    """True for a registered built-in whose result for a row depends on that row's value alone."""
    return (
        check.name in ROW_WISE
        and isinstance(check._check_fn, Dispatcher)  # registered built-ins only
        and check.groupby is None
        and not check.element_wise
    )
