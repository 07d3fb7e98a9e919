"""Monthly performance of annuity plan portfolios: balances, flows, returns, members."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from workdata.core.domain import MONTH_FORMATS, Domain, ReferenceCheck
from workdata.core.records import ErrorType

PRODUCT_LINES = ["enterprise_annuity", "occupational_annuity", "pension_product"]
# \Z rather than $: with $ pandas falls back to Python's re whenever a value holds a newline (10x slower).
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*\Z"


class AnnuityPerformance(pa.DataFrameModel):
    """One row per plan portfolio and report month."""

    report_month: Series[pd.Timestamp] = pa.Field(metadata={"formats": MONTH_FORMATS, "aliases": ["月度"]})
    plan_code: Series[str] = pa.Field(str_matches=r"^P\d{4}$", metadata={"aliases": ["计划代码", "计划号"]})
    portfolio_code: Series[str] = pa.Field(str_matches=r"^PF\d{3}$")
    company_id: Series[str] = pa.Field(str_matches=r"^C\d{6}$")
    product_line: Series[str] = pa.Field(isin=PRODUCT_LINES)
    plan_name: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 120}, str_matches=NO_CONTROL_CHARS
    )
    beginning_balance: Series[float] = pa.Field(ge=0, le=1e12)
    contributions: Series[float] = pa.Field(ge=0, le=1e11)
    benefit_payments: Series[float] = pa.Field(ge=0, le=1e11)
    investment_income: Series[float] = pa.Field(ge=-1e11, le=1e11)
    ending_balance: Series[float] = pa.Field(ge=0, le=1e12)
    annualized_return: Series[float] = pa.Field(ge=-1, le=1)
    member_count: Series[int] = pa.Field(ge=0, le=10_000_000)
    manager_name: Series[str] = pa.Field(nullable=True, str_matches=NO_CONTROL_CHARS)

    class Config:
        unique = ["report_month", "plan_code", "portfolio_code"]


DOMAIN = Domain(
    name="annuity_performance",
    schema=AnnuityPerformance,
    description="Monthly annuity plan portfolio performance, one partition per source file.",
    references=(
        ReferenceCheck("plan_code", "plans", "plan_code", ErrorType.FK_CONSTRAINT_VIOLATION),
        ReferenceCheck(
            "company_id",
            "companies",
            "company_id",
            ErrorType.ENRICHMENT_FAILED,
            adds=("company_name",),
        ),
    ),
)
