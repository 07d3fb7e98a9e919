"""`dagster dev` as an operator starts it: the daemon's inbox sensor ingests the demo inbox and the
webserver reports, per domain, the materialized and failed partitions the ledger holds.

On the embedded default (SQLite + DuckDB). The daemon on PostgreSQL storage, with the PostgreSQL store,
is exercised by test_celery_deployment.py, and the PostgreSQL instance config by test_deploy.py."""

import os
import shutil
import sys

import pytest

from workdata.core.records import FileStatus
from workdata.demo.inbox import write_demo
from workdata_tests.conftest import TEST_BIG_ROWS
from workdata_tests.servers import REPO, free_port, graphql, server, wait_for

QUERY = """{ assetNodes { assetKey { path } partitionStats { numMaterialized numFailed numPartitions } }
  runsOrError { ... on Runs { results { status tags { key value } } } } }"""


def query(port: int) -> dict:
    return graphql(port, QUERY)


@pytest.fixture
def dagster_dev(tmp_path):
    """`dagster dev` on the demo inbox, with the repository's dagster.yaml (SQLite + DuckDB)."""
    demo = write_demo(tmp_path / "inbox", big_rows=TEST_BIG_ROWS)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKDATA_")}
    env |= {
        "DAGSTER_HOME": str(home),
        "WORKDATA_HOME": str(tmp_path),
        "WORKDATA_LOGS_DIR": str(tmp_path),
        "WORKDATA_SETTLE_SECONDS": "0",
        "WORKDATA_SENSOR_INTERVAL_SECONDS": "5",  # the outcome sensor's tags come sooner
    }
    port = free_port()
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(REPO / "workspace.yaml")]
    with server([*command, "-h", "127.0.0.1", "-p", str(port)], env):
        yield port, demo


def test_daemon_ingests_inbox_and_ui_shows_materialized_and_failed_partitions(dagster_dev):
    port, demo = dagster_dev

    def settled():
        data = query(port)
        stats = {node["assetKey"]["path"][0]: node["partitionStats"] for node in data["assetNodes"]}
        expected = {d: sum(f.domain == d for f in demo) for d in stats}
        done = all(s and s["numMaterialized"] + s["numFailed"] == expected[d] for d, s in stats.items())
        runs = data["runsOrError"]["results"]
        return (
            (stats, runs)
            if done and runs and all(r["status"] in ("SUCCESS", "FAILURE") for r in runs)
            else None
        )

    stats, runs = wait_for(settled, timeout=240)
    for domain, s in stats.items():
        mine = [f for f in demo if f.domain == domain]
        assert s["numFailed"] == sum(f.status == FileStatus.FAILED for f in mine)
        assert s["numMaterialized"] == sum(f.status != FileStatus.FAILED for f in mine)
    assert len(runs) == 2
    assert all(any(t["key"] == "workdata/session_id" for t in r["tags"]) for r in runs)

    def outcomes():
        tags = [{t["key"]: t["value"] for t in r["tags"]} for r in query(port)["runsOrError"]["results"]]
        found = [t.get("workdata/outcome") for t in tags]
        return found if all(found) else None

    # The daemon's run-outcome sensor tags each finished run with its honest outcome.
    assert wait_for(outcomes, timeout=120) == ["PARTIAL", "PARTIAL"]
