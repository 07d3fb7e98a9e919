"""The real Definitions pinned to the test's tmp paths."""

from __future__ import annotations

import pytest

from workdata.defs.build import build_definitions


@pytest.fixture
def defs(settings):
    return build_definitions(settings)
