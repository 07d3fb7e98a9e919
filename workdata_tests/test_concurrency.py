"""Four ingest runs in parallel, plus inbox-sensor ticks, on one store (a DuckDB file, or PostgreSQL with
the documented PostgreSQL instance config) and one session CSV."""

import csv
import shutil
import subprocess
import sys

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from workdata.app import open_store
from workdata.core.ingest_context import Ingest
from workdata.core.operations.invariants import reconciliation_violations
from workdata.core.operations.recovery import due_retries
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file
from workdata.core.records import FAILED_RECORD_COLUMNS
from workdata.core.session import utc_now
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv import read_failures
from workdata.demo.files import make_rows, plant_defects, write_csv
from workdata.domains import DOMAINS
from workdata_tests.crash_harness import REPO, environment
from workdata_tests.pg import BACKENDS

SESSION = "etl_20241130_101500_c0ffee"
RUNS, FILES_PER_RUN, ROWS = 4, 4, 400  # four writer processes on two cores already contend

RUN_RANGE = """
import sys, warnings
warnings.filterwarnings("ignore")
import dagster as dg
import pytest
from workdata.core.inbox.planning import RunPlan
from workdata.core.settings import WorkdataSettings
from workdata.defs.build import build_definitions
from workdata.defs.ingest.jobs import job_name, run_tags
keys = sys.argv[1].split(",")
defs = build_definitions(WorkdataSettings())
plan = RunPlan("annuity_income", tuple(keys), tuple("-" for _ in keys))
defs.resolve_job_def(job_name("annuity_income")).execute_in_process(
    instance=dg.DagsterInstance.get(), tags=run_tags(plan, sys.argv[2]), raise_on_error=False,
    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
"""

TICK_SENSOR = """
import warnings
warnings.filterwarnings("ignore")
import dagster as dg
import pytest
from workdata.core.settings import WorkdataSettings
from workdata.defs.build import build_definitions
from workdata.defs.automation.sensors import inbox_sensor
defs = build_definitions(WorkdataSettings())
instance = dg.DagsterInstance.get()
for _ in range(6):
    context = dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), definitions=defs,
                                      resources=defs.resources)
    inbox_sensor(context)
"""


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_parallel_runs_lose_nothing_and_keep_one_clean_csv(tmp_path, backend, store_url, request):
    settings = WorkdataSettings(
        home=tmp_path, logs_dir=tmp_path / "logs", settle_seconds=0, store_url=store_url
    )
    keys, planted = [], 0
    for n in range(RUNS * FILES_PER_RUN):
        rows = make_rows("annuity_income", n, f"{2001 + n}-10", ROWS)  # a month per file: keys of their own
        planted += len({d.row_index for d in plant_defects("annuity_income", rows, ("unknown_plan",), 0.02)})
        write_csv(settings.inbox_dir / "annuity_income" / f"f{n:02d}.csv", rows)
        keys.append(f"f{n:02d}.csv")
    home = tmp_path / "dagster_home"
    home.mkdir()
    extra = {"DAGSTER_HOME": str(home), "WORKDATA_SETTLE_SECONDS": "0"}
    if backend == "postgres":
        shutil.copyfile(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
        dagster_url = request.getfixturevalue("dagster_pg_url")
        extra |= {"WORKDATA_STORE_URL": store_url, "DAGSTER_PG_URL": dagster_url}
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("DAGSTER_PG_URL", dagster_url)
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    instance.add_dynamic_partitions("annuity_income_files", keys)
    env = environment(tmp_path, **extra)
    batches = [keys[i : i + FILES_PER_RUN] for i in range(0, len(keys), FILES_PER_RUN)]
    processes = [
        subprocess.Popen([sys.executable, "-c", RUN_RANGE, ",".join(b), SESSION], cwd=REPO, env=env)
        for b in batches
    ]
    processes.append(subprocess.Popen([sys.executable, "-c", TICK_SENSOR], cwd=REPO, env=env))
    assert [p.wait(timeout=600) for p in processes] == [0] * (RUNS + 1)

    store = open_store(settings)
    # A lock that outlasted a run's retry budget may only show as a retryable write_failure; retry those.
    leftovers = due_retries(store, utc_now(), 10, ignore_backoff=True)
    assert {f.key for f in leftovers} <= set(keys)
    if backend == "postgres":
        assert leftovers == []  # a server store has no single-writer lock to wait for
    for f in leftovers:
        state = store.get_state("annuity_income", f.key)
        assert state["error_category"] == "write_failure" and state["retryable"]
        ingest = Ingest(store, RunContext(SESSION, "retry"), settings.failure_log_path(SESSION))
        process_file(DOMAINS["annuity_income"], settings.inbox_dir / "annuity_income" / f.key, f.key, ingest)

    with store.connect() as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM file_state GROUP BY status").fetchall())
        loaded = conn.execute("SELECT count(*) FROM annuity_income").fetchone()[0]
    assert statuses == {"PARTIAL": RUNS * FILES_PER_RUN}
    assert loaded == RUNS * FILES_PER_RUN * ROWS - planted
    assert reconciliation_violations(store) == []

    log = settings.failure_log_path(SESSION)
    text = log.read_text()
    assert text.count("session_id,timestamp") == 1 and text.endswith("\n")
    with log.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert all(len(row) == len(FAILED_RECORD_COLUMNS) for row in rows)
    frame = read_failures(log)
    assert len(frame) == len(store.failed_records(session_id=SESSION)) == planted
    assert not frame.duplicated(["source_file", "row_index", "error_type"]).any()
    print(
        f"{RUNS} parallel runs, {len(keys)} files, {loaded} rows loaded, {planted} failed rows, "
        f"{len(leftovers)} write_failure(s) retried"
    )
