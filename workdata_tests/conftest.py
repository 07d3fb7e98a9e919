"""Shared fixtures: isolated settings, a real store (DuckDB or PostgreSQL), the demo inbox and its truth."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from dagster._core.test_utils import instance_for_test

from workdata.app import open_store
from workdata.core.outcome import RunContext
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.store import Store
from workdata.demo.files import DemoFile
from workdata.demo.inbox import write_demo
from workdata_tests.pg import fresh_schema

warnings.filterwarnings("ignore", message=".*is currently in beta.*")

# Tests never assert on wall time (the suite must pass on a loaded machine): no hypothesis deadline and
# no "too slow" health check anywhere, whatever a test's own @settings say about examples.
hypothesis.settings.register_profile(
    "workdata", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("workdata")

# Small enough for a fast suite, large enough to hold every defect class several times.
TEST_BIG_ROWS = 2000
SUITE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end modules (directly in workdata_tests/: servers, Celery workers, fleets of processes)
    run first, the unit modules after them: the workers (pyproject: `--no-loadscope-reorder`) then start
    the longest tests early and finish together, instead of one waiting on a long test at the end."""
    items.sort(key=lambda item: item.path.parent != SUITE)


@pytest.fixture
def backend(request) -> str:
    """Where the store and the Dagster instance live: duckdb (+ SQLite), unless a module parametrizes
    `backend` indirectly with workdata_tests.pg.BACKENDS to run its tests on PostgreSQL too."""
    return getattr(request, "param", "duckdb")


@pytest.fixture
def store_url(backend: str) -> Iterator[str | None]:
    """None for DuckDB; for PostgreSQL the URL of a fresh schema (skipped when no server is reachable)."""
    if backend == "duckdb":
        yield None
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture
def dagster_pg_url() -> Iterator[str]:
    """A fresh schema for Dagster's own PostgreSQL storage, as the SQLAlchemy URL dagster-postgres takes."""
    with fresh_schema() as url:
        yield url.replace("postgresql://", "postgresql+psycopg2://")


@pytest.fixture(scope="session")
def sqlite_instance_template(tmp_path_factory) -> Path:
    """A SQLite Dagster instance folder whose storage is created and migrated once per test process."""
    folder = tmp_path_factory.mktemp("dagster_instance_template")
    with instance_for_test(temp_dir=str(folder)) as instance:
        instance.get_runs()  # creates and migrates the run, schedule and event log storage
    return folder


@pytest.fixture
def instance(backend: str, request, tmp_path: Path):
    """A real, temporary Dagster instance: SQLite storage, or PostgreSQL storage in a fresh schema."""
    if backend == "duckdb":
        # A copy of the migrated template: the same storage `instance_for_test` creates, without
        # running its migrations again for every test (~0.6 s each).
        folder = tmp_path / "dagster_instance"
        shutil.copytree(request.getfixturevalue("sqlite_instance_template"), folder)
        with instance_for_test(temp_dir=str(folder)) as instance:
            yield instance
        return
    storage = {"postgres": {"postgres_url": request.getfixturevalue("dagster_pg_url")}}
    with instance_for_test(overrides={"storage": storage}) as instance:
        yield instance


@pytest.fixture
def settings(tmp_path: Path, store_url: str | None) -> WorkdataSettings:
    """Settings whose every path lies under tmp_path (and whose store is the backend's)."""
    return WorkdataSettings(
        home=tmp_path / "wd", logs_dir=tmp_path / "wd" / "logs", settle_seconds=0, store_url=store_url
    )


@pytest.fixture
def store(settings: WorkdataSettings) -> Store:
    """A Store on a real DuckDB file (or PostgreSQL schema) with the schema created."""
    return open_store(settings)


@pytest.fixture
def run() -> RunContext:
    """A run context of a fixed session."""
    return RunContext(session_id="etl_20241130_101500_abc123", run_id="run-1", attempt=1)


@pytest.fixture
def demo(settings: WorkdataSettings) -> list[DemoFile]:
    """The demo inbox written under settings.inbox_dir; returns its manifest."""
    return write_demo(settings.inbox_dir, big_rows=TEST_BIG_ROWS)


from workdata_tests.defs.retry_helpers import world  # noqa: E402,F401  (a fixture shared by several modules)
