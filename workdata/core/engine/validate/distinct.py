"""A column's distinct values and, per row, which one it holds: repeating values are judged once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Distinct:
    """A column's distinct typed values (index 0..k-1) and, per row, the position of its value there."""

    values: pd.Series
    codes: np.ndarray

    def expand(self, judged: np.ndarray) -> np.ndarray:
        """A per-distinct-value result as one per row."""
        return judged[self.codes]

    def judge(self, judge: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
        """`judge`'s per-row result (it must judge each value alone), from one call on the distinct values."""
        return self.expand(judge(self.values))


def judged(
    judge: Callable[[pd.Series], np.ndarray], data: pd.Series | pd.DataFrame, distinct: Distinct | None
) -> np.ndarray:
    """`judge`'s per-row result on `data`, from its distinct values when the column has them (then
    `judge` must judge each value alone)."""
    return judge(data) if distinct is None else distinct.judge(judge)
