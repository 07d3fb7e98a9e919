"""Reference tables (plans, companies) that rows are checked against and enriched from."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def load_reference(name: str) -> pd.DataFrame:
    """The reference table `name` shipped with workdata, all columns as text."""
    source = resources.files("workdata.domains") / "reference" / f"{name}.csv"
    with source.open("rb") as handle:
        return pd.read_csv(handle, dtype="str", keep_default_na=False)
