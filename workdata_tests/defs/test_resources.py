"""The Dagster resource config offers exactly the settings the core models define, and sets them."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from workdata.core.policy import DomainPolicy, KeyPolicy, ReaderSettings
from workdata.core.retry_schedule import RetrySchedule
from workdata.core.settings import WorkdataSettings
from workdata.defs.resources import PolicyConfig, ReaderConfig, RetryConfig, WorkdataResource


@pytest.mark.parametrize(
    ("config", "model"),
    [(PolicyConfig, DomainPolicy), (ReaderConfig, ReaderSettings), (RetryConfig, RetrySchedule)],
)
def test_each_config_class_has_the_fields_of_its_core_model(config: type, model: type[BaseModel]):
    assert set(config.model_fields) == set(model.model_fields)


def test_every_resource_setting_is_a_core_setting():
    offered = set(WorkdataResource.model_fields) - {"policies"}
    assert offered <= set(WorkdataSettings.model_fields)


def test_policy_config_sets_business_and_reader_fields_and_keeps_the_rest(tmp_path):
    resource = WorkdataResource(
        home=str(tmp_path),
        policies={
            "annuity_income": PolicyConfig(
                key_policy="replace", max_bad_row_ratio=0.5, read=ReaderConfig(sheet_pattern="Data")
            )
        },
    )
    policy = resource.settings().policy_for("annuity_income")
    assert (policy.key_policy, policy.max_bad_row_ratio) == (KeyPolicy.REPLACE, 0.5)
    assert (policy.read.sheet_pattern, policy.read.stream_over_mb) == (
        "Data",
        ReaderSettings().stream_over_mb,
    )
    assert policy.warn_bad_row_ratio == DomainPolicy().warn_bad_row_ratio
