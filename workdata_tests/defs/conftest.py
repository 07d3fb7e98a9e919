"""A real Dagster instance (instance_for_test) and the real Definitions pinned to tmp paths."""

from __future__ import annotations

import pytest
from dagster._core.test_utils import instance_for_test

from workdata.defs.build import build_definitions


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def defs(settings):
    return build_definitions(settings)


from workdata_tests.defs.retry_helpers import world  # noqa: E402,F401  (a fixture shared by retry tests)
