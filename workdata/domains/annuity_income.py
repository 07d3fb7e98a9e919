"""Monthly fee income earned on annuity plans, by income type."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from workdata.core.domain import MONTH_FORMATS, Domain, ReferenceCheck
from workdata.core.records import ErrorType
from workdata.domains.annuity_performance import NO_CONTROL_CHARS, PRODUCT_LINES

INCOME_TYPES = ["management_fee", "custody_fee", "investment_fee", "account_fee"]


class AnnuityIncome(pa.DataFrameModel):
    """One row per plan, company, report month and income type."""

    report_month: Series[pd.Timestamp] = pa.Field(
        metadata={"formats": MONTH_FORMATS, "aliases": ["月度", "报告月份", "统计月份"]}
    )
    plan_code: Series[str] = pa.Field(str_matches=r"^P\d{4}$", metadata={"aliases": ["计划代码", "计划号"]})
    company_id: Series[str] = pa.Field(
        str_matches=r"^C\d{6}$", metadata={"aliases": ["公司代码", "企业代码"]}
    )
    product_line: Series[str] = pa.Field(isin=PRODUCT_LINES, metadata={"aliases": ["业务类型", "产品线"]})
    income_type: Series[str] = pa.Field(isin=INCOME_TYPES, metadata={"aliases": ["收入类型", "费用类型"]})
    fee_rate: Series[float] = pa.Field(ge=0, le=0.05, metadata={"aliases": ["费率", "费率(%)"]})
    fee_base: Series[float] = pa.Field(ge=0, le=1e12, metadata={"aliases": ["计费基数", "计费基数(元)"]})
    income_amount: Series[float] = pa.Field(ge=0, le=1e10, metadata={"aliases": ["收入金额", "收入金额(元)"]})
    customer_name: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 120},
        str_matches=NO_CONTROL_CHARS,
        metadata={"aliases": ["客户名称"]},
    )
    invoice_count: Series[int] = pa.Field(ge=0, le=100_000, metadata={"aliases": ["发票数量", "开票张数"]})

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
