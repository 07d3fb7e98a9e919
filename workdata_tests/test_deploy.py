"""The deployment configs Dagster must accept: the PostgreSQL instance runs the demo end to end, and the
scale-out instance and workspace load (the Docker cluster itself cannot run here)."""

from __future__ import annotations

import shutil
import socket
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.workspace.config_schema import ensure_workspace_config
from dagster._core.workspace.load import load_workspace_process_context_from_yaml_paths

from workdata.app import open_store
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.settings import WorkdataSettings
from workdata_tests.cli_process import workdata_in_process
from workdata_tests.crash_harness import REPO, environment
from workdata_tests.servers import free_port, server

DEPLOY = REPO / "deploy"
GRPC_SERVER = (sys.executable, "-m", "dagster", "api", "grpc")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_instance_and_store_run_the_demo_end_to_end(tmp_path, store_url, dagster_pg_url):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "postgres" / "dagster.yaml", home / "dagster.yaml")
    env = environment(
        tmp_path, DAGSTER_HOME=str(home), DAGSTER_PG_URL=dagster_pg_url, WORKDATA_STORE_URL=store_url
    )
    done = workdata_in_process(env, "run", "--demo")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    store = open_store(WorkdataSettings(home=tmp_path, store_url=store_url))
    with store.connect() as conn:
        by_status = dict(conn.execute("SELECT status, count(*) FROM file_state GROUP BY status").fetchall())
    assert sum(by_status.values()) == 29 and by_status["FAILED"] > 0 and by_status["PARTIAL"] > 0
    assert reconciliation_violations(store) == []
    assert not (tmp_path / "warehouse.duckdb").exists()

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_PG_URL", dagster_pg_url)
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runs = instance.get_runs()
    assert len(runs) == 2 and {r.tags.get("workdata/outcome") for r in runs} == {"PARTIAL"}


def test_scale_out_instance_config_loads_with_the_docker_run_launcher(tmp_path, dagster_pg_url, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "scale-out" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_pg_url)
    monkeypatch.setenv("WORKDATA_IMAGE", "registry.example/workdata:1")
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    launcher = instance.run_launcher
    assert type(launcher).__name__ == "DockerRunLauncher"
    assert launcher.image == "registry.example/workdata:1"
    assert {"DAGSTER_PG_URL", "WORKDATA_STORE_URL"} <= set(launcher.env_vars)
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"


def test_scale_out_workspace_loads_the_code_location_from_a_grpc_server(tmp_path):
    config = yaml.safe_load((DEPLOY / "scale-out" / "workspace.yaml").read_text())
    ensure_workspace_config(config, str(DEPLOY / "scale-out" / "workspace.yaml"))
    port = free_port()
    address = config["load_from"][0]["grpc_server"]
    address |= {"host": "127.0.0.1", "port": port}  # the compose service name only resolves in its network
    (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(config))
    env = environment(tmp_path)
    # Stopped with SIGTERM, then SIGKILL: under load the server once took over 30 s to shut down.
    with server([*GRPC_SERVER, "-h", "127.0.0.1", "-p", str(port), "-m", "workdata.definitions"], env):
        _wait_for_port(port)
        with dg.instance_for_test() as instance:
            names = _wait_for_location(instance, tmp_path / "workspace.yaml")
    assert {"ingest_annuity_performance", "ingest_annuity_income"} <= names


def test_compose_file_passes_what_the_instance_config_reads():
    compose = yaml.safe_load((DEPLOY / "scale-out" / "docker-compose.yaml").read_text())
    instance = yaml.safe_load((DEPLOY / "scale-out" / "dagster.yaml").read_text())
    env = compose["services"]["workdata-code"]["environment"]
    launcher_env = instance["run_launcher"]["config"]["env_vars"]
    assert {name.split("=")[0] for name in launcher_env if "=" not in name} <= set(env)
    assert env["DAGSTER_PG_URL"].startswith("postgresql+psycopg2://")
    assert compose["services"]["webserver"]["ports"] == ["127.0.0.1:3000:3000"]


def _wait_for_port(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _wait_for_location(instance: dg.DagsterInstance, workspace: Path, timeout: float = 90) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        with load_workspace_process_context_from_yaml_paths(instance, [str(workspace)]) as context:
            request = context.create_request_context()
            if request.has_code_location("workdata"):
                repo = next(iter(request.get_code_location("workdata").get_repositories().values()))
                return {job.name for job in repo.get_all_jobs()}
            error = request.get_code_location_error("workdata")
        if time.monotonic() > deadline:
            raise AssertionError(f"code location never loaded: {error and error.message}")
        time.sleep(1)
