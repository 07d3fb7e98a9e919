"""Shared fixtures: isolated settings, a real DuckDB store, and the demo inbox with its truth."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from dagster._core.test_utils import instance_for_test

from workdata.core.connect import duckdb_connector
from workdata.core.outcome import RunContext
from workdata.core.settings import WorkdataSettings
from workdata.core.store import Store
from workdata.demo.files import DemoFile, write_demo
from workdata.domains import DOMAINS

warnings.filterwarnings("ignore", message=".*is currently in beta.*")

# Small enough for a fast suite, large enough to hold every defect class several times.
TEST_BIG_ROWS = 2000


@pytest.fixture
def instance():
    """A real, temporary Dagster instance."""
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def settings(tmp_path: Path) -> WorkdataSettings:
    """Settings whose every path lies under tmp_path."""
    return WorkdataSettings(home=tmp_path / "wd", logs_dir=tmp_path / "wd" / "logs", settle_seconds=0)


@pytest.fixture
def store(settings: WorkdataSettings) -> Store:
    """A Store on a real DuckDB file with the schema created."""
    store = Store(duckdb_connector(settings.duckdb_path), DOMAINS.values())
    store.ensure_schema()
    return store


@pytest.fixture
def run() -> RunContext:
    """A run context of a fixed session."""
    return RunContext(session_id="etl_20241130_101500_abc123", run_id="run-1", attempt=1)


@pytest.fixture
def demo(settings: WorkdataSettings) -> list[DemoFile]:
    """The demo inbox written under settings.inbox_dir; returns its manifest."""
    return write_demo(settings.inbox_dir, big_rows=TEST_BIG_ROWS)


from workdata_tests.defs.retry_helpers import world  # noqa: E402,F401  (a fixture shared by several modules)
