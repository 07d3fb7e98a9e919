import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from workdata.definitions import defs as location_defs
from workdata.domains import DOMAINS

REPO = Path(__file__).resolve().parents[2]


def test_code_location_loads_with_assets_jobs_sensor_and_resources(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKDATA_HOME", str(tmp_path))
    defs = location_defs()
    assert isinstance(defs, dg.Definitions)
    repo = defs.get_repository_def()
    asset_keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    assert asset_keys == set(DOMAINS)
    for name in DOMAINS:
        job = defs.resolve_job_def(f"ingest_{name}")
        assert job.partitions_def.name == f"{name}_files"
        assert job.executor_def.name == "in_process"
    sensors = {s.name for s in defs.sensors}
    assert sensors == {"inbox_sensor", "retry_sensor", "run_outcome_sensor"}
    jobs = {j.name for j in repo.get_all_jobs()}
    assert {
        "retry_failed_files",
        "release_file",
        "forget_ledger_entries",
        "verify_ledger",
        "replay_rows",
        "maintenance",
    } <= jobs
    assert defs.resolve_schedule_def("daily_maintenance").job_name == "maintenance"
    sensor = defs.resolve_sensor_def("inbox_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert {t.job_name for t in sensor.targets} == {f"ingest_{n}" for n in DOMAINS}
    resources = defs.resources
    assert resources["workdata"].settings().home == tmp_path.resolve()
    assert resources["duckdb"].database == str(tmp_path.resolve() / "warehouse.duckdb")


def test_every_asset_has_a_description_and_a_pool():
    from workdata.defs.ingest.assets import DOMAIN_ASSETS

    for asset in DOMAIN_ASSETS.values():
        spec = next(iter(asset.specs))
        assert spec.description
        assert asset.op.pool == "duckdb_writer"


def test_a_store_url_from_the_environment_stays_an_env_var_in_the_resource_config(monkeypatch, tmp_path):
    url = "postgresql://workdata:hunter2@db.internal:5432/workdata"
    monkeypatch.setenv("WORKDATA_HOME", str(tmp_path))
    monkeypatch.setenv("WORKDATA_STORE_URL", url)
    resource = location_defs().resources["workdata"]
    assert isinstance(resource.store_url, dg.EnvVar) and "hunter2" not in repr(resource)
    with dg.build_resources({"workdata": resource}) as resolved:  # as Dagster does for a run or tick
        assert resolved.workdata.settings().store_url == url


def test_dg_lists_what_the_location_defines(tmp_path):
    """`dg list defs` (the project's [tool.dg]) loads the location and lists its definitions."""
    dg_cli = Path(sys.executable).with_name("dg")
    env = {**os.environ, "WORKDATA_HOME": str(tmp_path), "VIRTUAL_ENV": str(Path(sys.executable).parents[1])}
    listed = subprocess.run(
        [str(dg_cli), "list", "defs", "--json"], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(listed.stdout)
    assert {a["asset_key"] for a in found["assets"]} == set(DOMAINS)
    assert {s["name"] for s in found["sensors"]} == {"inbox_sensor", "retry_sensor", "run_outcome_sensor"}
    assert {f"ingest_{name}" for name in DOMAINS} | {"release_file", "retry_failed_files"} <= {
        j["name"] for j in found["jobs"]
    }
