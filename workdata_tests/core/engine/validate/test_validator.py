import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.domain import Kind
from workdata.core.engine.validate.validator import validate
from workdata.core.errors import SchemaMismatchError
from workdata.core.records import ErrorType
from workdata.demo.files import make_rows
from workdata.domains import DOMAINS

DOMAIN = DOMAINS["annuity_income"]


def raw_frame(count: int = 6) -> pd.DataFrame:
    rows = make_rows(DOMAIN.name, 1, "2024-10", count)
    return pd.DataFrame(rows, index=pd.Index(range(1, count + 1), name="row_index"), dtype="str")


def test_clean_rows_come_out_typed_and_enriched():
    result = validate(DOMAIN, raw_frame())
    assert result.failures.empty
    assert len(result.good) == 6
    assert result.good["invoice_count"].dtype == "int64"
    assert result.good["fee_rate"].dtype == "float64"
    assert str(result.good["report_month"].iloc[0].date()) == "2024-10-01"
    assert result.good["company_name"].notna().all()


def test_a_row_with_several_problems_keeps_every_reason_but_counts_once():
    raw = raw_frame()
    raw.loc[2, ["fee_rate", "product_line", "plan_code"]] = ["9", "crypto", "P9999"]
    result = validate(DOMAIN, raw)
    assert set(result.failures["row_index"]) == {2}
    assert result.failed_rows == 1
    assert len(result.failures) == 3
    assert set(result.failures["error_type"]) == {"VALIDATION_FAILED", "FK_CONSTRAINT_VIOLATION"}
    assert 2 not in result.good.index and len(result.good) == 5


def test_unconvertible_value_is_one_failure_not_also_a_null_failure():
    raw = raw_frame()
    raw.loc[3, "invoice_count"] = "twelve"
    raw.loc[4, "invoice_count"] = "1.5"
    raw.loc[5, "customer_name"] = "  "
    failures = validate(DOMAIN, raw).failures.set_index("row_index")
    assert failures.loc[3, "check"] == "convert_to_integer"
    assert "'twelve' is not a whole number" in failures.loc[3, "message"]
    assert failures.loc[4, "check"] == "convert_to_integer"
    assert failures.loc[5, "check"] == "not_nullable"
    assert len(failures) == 3


def test_duplicate_business_key_flags_the_later_rows_only():
    raw = raw_frame()
    key = ["report_month", "plan_code", "company_id", "income_type"]
    raw.loc[4, key] = raw.loc[2, key].to_numpy()
    raw.loc[6, key] = raw.loc[2, key].to_numpy()
    failures = validate(DOMAIN, raw).failures
    assert sorted(failures["row_index"]) == [4, 6]
    assert set(failures["check"]) == {"unique_business_key"}


def test_unknown_company_is_an_enrichment_failure():
    raw = raw_frame()
    raw.loc[1, "company_id"] = "C999999"
    [failure] = validate(DOMAIN, raw).failures.to_dict("records")
    assert failure["error_type"] == ErrorType.ENRICHMENT_FAILED
    assert failure["column"] == "company_id"


def test_date_formats_are_exact():
    raw = raw_frame()
    raw.loc[1, "report_month"] = "2024-10-31"
    raw.loc[2, "report_month"] = "Oct 2024"
    raw.loc[3, "report_month"] = "2024-13"
    failures = validate(DOMAIN, raw).failures
    assert sorted(failures["row_index"]) == [2, 3]
    assert "%Y-%m or %Y-%m-%d" in failures["message"].iloc[0]


def test_missing_required_column_is_a_schema_mismatch_naming_it():
    raw = raw_frame().drop(columns=["plan_code"]).rename(columns={"fee_rate": "fee_rat"})
    with pytest.raises(SchemaMismatchError) as caught:
        validate(DOMAIN, raw)
    assert caught.value.missing == ["plan_code", "fee_rate"]
    assert "fee_rat" in caught.value.user_message


def test_control_characters_inside_text_fail_and_an_edge_newline_is_trimmed():
    raw = raw_frame()
    raw.loc[2, "customer_name"], raw.loc[3, "customer_name"] = "Acme\n", "Ac\x07me"
    raw.loc[4, "customer_name"], raw.loc[5, "customer_name"] = "Acme 中文 Ltd.", "Ac\nme"
    result = validate(DOMAIN, raw)
    assert set(result.failures["row_index"]) == {3, 5}
    assert set(result.failures["column"]) == {"customer_name"}


@pytest.mark.parametrize("neighbour", ["12", "1,200"])  # a block Arrow casts whole, and one it cannot
@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan"])
def test_a_non_finite_number_is_not_a_number_whatever_its_block_holds(value, neighbour):
    raw = raw_frame()
    raw.loc[2, "fee_base"], raw.loc[3, "fee_base"] = value, neighbour
    failures = validate(DOMAIN, raw).failures
    assert failures.loc[failures["row_index"] == 2, "check"].tolist() == ["convert_to_float"]
    assert 3 not in set(failures["row_index"])


# Values a repeating column may hold: clean, padded, blank, full-width, wrong case, control characters,
# dates in other formats or impossible ones. Drawn into 1,200 rows, so each repeats many times.
_TRICKY = [
    "",
    "  ",
    " P0001 ",
    "P０００１",
    "p0001",
    "P0001\x07",
    "N/A",
    "2024-10",
    "2024/10/31",
    "２０２４-10",
    "2024-02-30",
    "2024年10月",
    "enterprise_annuity",
    " crypto",
    "true",
    "C100022",
    "C999999",
]


@settings(max_examples=25, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(DOMAINS)))
def test_judging_distinct_values_once_gives_what_judging_every_row_gives(data, name):
    domain = DOMAINS[name]
    rows = make_rows(name, 1, "2024-10", 1_200)
    raw = pd.DataFrame(rows, index=pd.Index(range(1, 1_201), name="row_index"), dtype="str")
    for spec in domain.columns:
        if spec.kind not in (Kind.INTEGER, Kind.FLOAT) and spec.name in raw:
            picks = data.draw(st.lists(st.integers(0, len(_TRICKY)), min_size=1, max_size=40))
            raw[spec.name] = [
                _TRICKY[p] if p < len(_TRICKY) else v
                for p, v in zip(picks * (1_200 // len(picks) + 1), raw[spec.name], strict=False)
            ]
    by_value = validate(domain, raw.copy(), hash_keys=True, distinct_values=True)
    by_row = validate(domain, raw.copy(), hash_keys=True, distinct_values=False)
    pd.testing.assert_frame_equal(by_value.good, by_row.good)
    assert (by_value.keys.hashes == by_row.keys.hashes).all()
    assert (by_value.keys.repeated == by_row.keys.repeated).all()
    order = ["row_index", "column", "check"]
    pd.testing.assert_frame_equal(
        by_value.failures.sort_values(order).reset_index(drop=True),
        by_row.failures.sort_values(order).reset_index(drop=True),
    )
