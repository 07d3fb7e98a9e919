"""Monthly fee income earned on annuity plans, by income type."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from workdata.core.domain import Domain, ReferenceCheck
from workdata.core.records import ErrorType
from workdata.domains.annuity_performance import NO_CONTROL_CHARS, PRODUCT_LINES

INCOME_TYPES = ["management_fee", "custody_fee", "investment_fee", "account_fee"]


class AnnuityIncome(pa.DataFrameModel):
    """One row per plan, company, report month and income type."""

    report_month: Series[pd.Timestamp] = pa.Field(metadata={"formats": ["%Y-%m", "%Y-%m-%d"]})
    plan_code: Series[str] = pa.Field(str_matches=r"^P\d{4}$")
    company_id: Series[str] = pa.Field(str_matches=r"^C\d{6}$")
    product_line: Series[str] = pa.Field(isin=PRODUCT_LINES)
    income_type: Series[str] = pa.Field(isin=INCOME_TYPES)
    fee_rate: Series[float] = pa.Field(ge=0, le=0.05)
    fee_base: Series[float] = pa.Field(ge=0, le=1e12)
    income_amount: Series[float] = pa.Field(ge=0, le=1e10)
    customer_name: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 120}, str_matches=NO_CONTROL_CHARS
    )
    invoice_count: Series[int] = pa.Field(ge=0, le=100_000)

    class Config:
        unique = ["report_month", "plan_code", "company_id", "income_type"]


DOMAIN = Domain(
    name="annuity_income",
    schema=AnnuityIncome,
    description="Monthly annuity fee income by plan and income type, one partition per source file.",
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
