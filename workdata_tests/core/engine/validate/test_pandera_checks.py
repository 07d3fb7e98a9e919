"""pandera's built-in checks evaluated directly give pandera's own row-wise result, missing values too."""

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workdata.core.engine.validate.pandera_checks import ROW_WISE, check_output
from workdata.domains import DOMAINS

NUMBER_CHECKS = [
    pa.Check.greater_than_or_equal_to(0),
    pa.Check.less_than_or_equal_to(1e12),
    pa.Check.greater_than(-1.5),
    pa.Check.less_than(10),
    pa.Check.in_range(0, 5, include_min=False),
    pa.Check.in_range(-3, 3, include_max=False),
    pa.Check.equal_to(2.0),
    pa.Check.not_equal_to(0),
    pa.Check.isin([0.0, 1.0, 2.5]),
    pa.Check.notin([1.0]),
]
TEXT_CHECKS = [
    pa.Check.str_matches(r"^P\d{4}$"),
    pa.Check.str_matches(r"^[^\x00-\x1f\x7f]*\Z"),
    pa.Check.str_contains("a"),
    pa.Check.str_startswith("x"),
    pa.Check.str_endswith("é"),
    pa.Check.str_length(1, 5),
    pa.Check.str_length(min_value=2),
    pa.Check.str_length(max_value=3),
    pa.Check.isin(["a", "P1234"]),
    pa.Check.notin(["b"]),
]
DOMAIN_CHECKS = [
    (check, spec.kind)
    for domain in DOMAINS.values()
    for spec in domain.columns
    for check in domain.pandera_schema.columns[spec.name].checks
    if spec.name in domain.pandera_schema.columns
]

numbers = st.lists(
    st.one_of(st.none(), st.floats(allow_nan=False, width=32), st.integers(-5, 5)), max_size=30
)
texts = st.lists(st.one_of(st.none(), st.text(alphabet="aPbxé\n\x01 0123456789", max_size=8)), max_size=30)


def failing(output):
    """Rows that fail, as validation reads a check's output (pandera leaves missing values out)."""
    return output.index[~output.astype(bool).to_numpy()].tolist()


def _pandera(check, series):
    return check(series).check_output


@settings(max_examples=40, deadline=None)
@given(values=numbers)
@pytest.mark.parametrize("check", NUMBER_CHECKS, ids=str)
def test_number_checks_agree_with_pandera(check, values):
    series = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    assert failing(check_output(check, series)) == failing(_pandera(check, series))


@settings(max_examples=40, deadline=None)
@given(values=texts)
@pytest.mark.parametrize("check", TEXT_CHECKS, ids=str)
def test_text_checks_agree_with_pandera(check, values):
    series = pd.Series(values, dtype="str")
    assert failing(check_output(check, series)) == failing(_pandera(check, series))


@pytest.mark.parametrize("check, kind", DOMAIN_CHECKS, ids=lambda x: str(x))
def test_every_domain_check_is_evaluated_directly(check, kind):
    assert check.name in ROW_WISE


def test_custom_and_table_checks_go_through_pandera():
    custom = pa.Check(lambda s: s > 1, name="greater_than")  # a built-in's name, not its function
    series = pd.Series([0.0, 2.0, np.nan])
    assert failing(check_output(custom, series)) == failing(_pandera(custom, series)) == [0]
    frame = pd.DataFrame({"a": [1, 2]})
    table = pa.Check(lambda df: df["a"] > 1)
    assert check_output(table, frame).tolist() == [False, True]
