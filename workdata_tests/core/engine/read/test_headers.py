import pandas as pd
import pytest

from workdata.core.engine.read.headers import alias_map, apply_aliases, header_key, normalise_header
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("计划代码", "plan_code"),
        ("计划号", "plan_code"),
        ("费率（%）", "fee_rate"),  # full-width brackets
        ("费率(%)", "fee_rate"),
        ("  客户名称  ", "customer_name"),  # trailing and leading spaces
        ("计费基数 （元）", "fee_base"),  # space and full-width brackets
        ("Plan_Code", "plan_code"),  # case
        ("ＰＬＡＮ_ＣＯＤＥ", "plan_code"),  # full-width letters
        ("report_month", "report_month"),
        ("Report Month", "report_month"),
        ("report-month ", "report_month"),
    ],
)
def test_aliases_and_normalisation(written, canonical):
    assert alias_map(INCOME).get(header_key(written)) == canonical


def test_unknown_columns_are_kept_and_reported_and_the_first_alias_wins():
    frame = pd.DataFrame(columns=["计划号", "计划代码", "备注", "_sheet", "fee_rate"])
    renamed, extras = apply_aliases(INCOME, frame)
    assert list(renamed.columns) == ["plan_code", "计划代码", "备注", "_sheet", "fee_rate"]
    assert extras == ["计划代码", "备注"]


def test_normalised_header_keeps_words_apart_for_display():
    assert normalise_header("  Fee\u3000RATE（%） ") == "fee rate(%)"
