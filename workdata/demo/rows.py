"""Seeded rows for the demo domains and the planted defects, with the truth about each."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from workdata.core.engine.validate.reference_tables import load_reference
from workdata.core.records import ErrorType

PRODUCT_LINES = ("enterprise_annuity", "occupational_annuity", "pension_product")
INCOME_TYPES = ("management_fee", "custody_fee", "investment_fee", "account_fee")
BAD_BYTES_TOKEN = "\ue000BADBYTES\ue000"  # replaced by undecodable bytes when written


@dataclass(frozen=True)
class Defect:
    """A planted defect: which data row, which class, and what workdata must record."""

    row_index: int
    defect: str
    error_type: ErrorType
    column: str | None


@dataclass(frozen=True)
class DemoSpec:
    """How to make rows of one domain and where each defect class goes."""

    prefix: str
    make_row: Callable[[random.Random, str, int], dict[str, str]]
    key: tuple[str, ...]
    number_col: str
    required_col: str
    range_col: tuple[str, str]
    text_col: str


@cache
def _plans() -> tuple[str, ...]:
    return tuple(load_reference("plans")["plan_code"])


@cache
def _companies() -> tuple[str, ...]:
    return tuple(load_reference("companies")["company_id"])


def performance_row(rng: random.Random, month: str, i: int) -> dict[str, str]:
    """Row i of a performance file: unique (month, plan, portfolio) for i < 39,960."""
    plans = _plans()
    begin = rng.uniform(1e5, 5e8)
    contributions, payments = rng.uniform(0, 5e6), rng.uniform(0, 3e6)
    income = begin * rng.uniform(-0.02, 0.03)
    return {
        "report_month": month,
        "plan_code": plans[i % len(plans)],
        "portfolio_code": f"PF{i // len(plans) + 1:03d}",
        "company_id": rng.choice(_companies()),
        "product_line": rng.choice(PRODUCT_LINES),
        "plan_name": f"Plan {i % len(plans) + 1:02d}",
        "beginning_balance": f"{begin:.2f}",
        "contributions": f"{contributions:.2f}",
        "benefit_payments": f"{payments:.2f}",
        "investment_income": f"{income:.2f}",
        "ending_balance": f"{max(begin + contributions - payments + income, 0):.2f}",
        "annualized_return": f"{rng.uniform(-0.2, 0.3):.4f}",
        "member_count": str(rng.randint(10, 50_000)),
        "manager_name": rng.choice(["", "Li Wei", "Zhang Min", "Chen Jing", "Wang Fang"]),
    }


def income_row(rng: random.Random, month: str, i: int) -> dict[str, str]:
    """Row i of an income file: unique (month, plan, company, income type) for i < 9,600."""
    plans, companies = _plans(), _companies()
    base, rate = rng.uniform(1e5, 5e8), rng.uniform(0.0005, 0.02)
    return {
        "report_month": month,
        "plan_code": plans[i % len(plans)],
        "company_id": companies[(i // len(plans)) % len(companies)],
        "product_line": rng.choice(PRODUCT_LINES),
        "income_type": INCOME_TYPES[i // (len(plans) * len(companies)) % len(INCOME_TYPES)],
        "fee_rate": f"{rate:.5f}",
        "fee_base": f"{base:.2f}",
        "income_amount": f"{base * rate / 12:.2f}",
        "customer_name": f"Customer {i:05d}",
        "invoice_count": str(rng.randint(0, 40)),
    }


SPECS = {
    "annuity_performance": DemoSpec(
        "perf",
        performance_row,
        ("report_month", "plan_code", "portfolio_code"),
        "contributions",
        "plan_name",
        ("annualized_return", "3.5"),
        "plan_name",
    ),
    "annuity_income": DemoSpec(
        "income",
        income_row,
        ("report_month", "plan_code", "company_id", "income_type"),
        "income_amount",
        "customer_name",
        ("fee_rate", "0.5"),
        "customer_name",
    ),
}

# Defect classes a value-level file can carry (every input format).
VALUE_DEFECTS = (
    "unparsable_date",
    "text_in_number",
    "missing_required",
    "out_of_range",
    "unknown_category",
    "duplicate_key",
    "unknown_plan",
    "unknown_company",
)
# Defect classes that only exist in CSV text.
CSV_DEFECTS = ("wrong_field_count", "quoted_newline", "undecodable_bytes")


def plant(spec: DemoSpec, rows: list[dict[str, str]], defect: str, position: int) -> Defect:
    """Damage rows[position] (0-based) with `defect` and say what must be recorded."""
    row, index = rows[position], position + 1
    value = ErrorType.VALIDATION_FAILED
    if defect == "unparsable_date":
        row["report_month"] = "2024-13"
        return Defect(index, defect, value, "report_month")
    if defect == "text_in_number":
        row[spec.number_col] = "12a34.50"
        return Defect(index, defect, value, spec.number_col)
    if defect == "missing_required":
        row[spec.required_col] = ""
        return Defect(index, defect, value, spec.required_col)
    if defect == "out_of_range":
        row[spec.range_col[0]] = spec.range_col[1]
        return Defect(index, defect, value, spec.range_col[0])
    if defect == "unknown_category":
        row["product_line"] = "crypto_fund"
        return Defect(index, defect, value, "product_line")
    if defect == "duplicate_key":
        row.update({k: rows[position - 1][k] for k in spec.key})
        return Defect(index, defect, value, ", ".join(spec.key))
    if defect == "unknown_plan":
        row["plan_code"] = "P9999"
        return Defect(index, defect, ErrorType.FK_CONSTRAINT_VIOLATION, "plan_code")
    if defect == "unknown_company":
        row["company_id"] = "C999999"
        return Defect(index, defect, ErrorType.ENRICHMENT_FAILED, "company_id")
    if defect == "quoted_newline":
        row[spec.text_col] = "Split\nname"
        return Defect(index, defect, value, spec.text_col)
    if defect == "undecodable_bytes":
        row[spec.text_col] = BAD_BYTES_TOKEN
        return Defect(index, defect, ErrorType.MALFORMED_ROW, None)
    if defect == "wrong_field_count":
        row["__extra__"] = "surplus"
        return Defect(index, defect, ErrorType.MALFORMED_ROW, None)
    raise ValueError(f"unknown defect class {defect!r}")
