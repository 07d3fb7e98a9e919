"""A real Celery deployment of workdata on this machine, for the tests and the benchmark: Dagster's storage
and workdata's store in fresh PostgreSQL schemas, RabbitMQ as broker, Redis as result backend and for the
circuit breakers, N Celery workers (one run at a time each, a fresh process per run) and the real
dagster-daemon with workdata's sensors, all from deploy/celery's files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from workdata_tests.brokers import RABBITMQ_URL, REDIS_URL, require_rabbitmq, require_redis
from workdata_tests.pg import fresh_schema

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "celery"
BIN = Path(sys.executable).parent  # the worker command starts `celery` from PATH: this environment's
GOING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass
class Cluster:
    """The deployment's shared settings (env), its instance, and its worker processes by name."""

    root: Path
    env: dict[str, str]
    queue: str
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    _instance: dg.DagsterInstance | None = None

    @property
    def instance(self) -> dg.DagsterInstance:
        """The Dagster instance every process of the deployment shares."""
        if self._instance is None:
            # Its dagster.yaml names the deployment's variables: set while it is read, then put back.
            names = [k for k in self.env if k.startswith("DAGSTER_")]
            saved = {k: os.environ.get(k) for k in names}
            os.environ.update({k: self.env[k] for k in names})
            try:
                self._instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(self.env["DAGSTER_HOME"]))
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        return self._instance

    def worker_log(self, name: str) -> Path:
        """Where the worker `name` logs (Celery's own log: one line per task received and done)."""
        return self.root / f"worker-{name}.log"

    def tasks_done_by(self, name: str) -> int:
        """How many runs the worker `name` finished (its log's "succeeded" lines)."""
        log = self.worker_log(name)
        text = log.read_text(errors="replace") if log.exists() else ""
        return len(re.findall(r"Task \S*execute_job\S*\[[^\]]+\] succeeded", text))

    def runs_going(self) -> int:
        """Runs queued, starting or started."""
        return self.instance.get_runs_count(dg.RunsFilter(statuses=GOING))


def requirements_missing() -> None:
    """Skip, with the reason, when PostgreSQL, RabbitMQ or Redis is out of reach."""
    require_rabbitmq()
    require_redis()


@contextmanager
def celery_cluster(root: Path, workers: int = 2, **settings: str) -> Iterator[Cluster]:
    """Start the deployment under `root` (inbox at root/inbox): schemas, instance migrated before any
    worker starts, `workers` Celery workers on a queue of their own, then the daemon. On exit everything
    is stopped and the schemas dropped. `settings` are more WORKDATA_* variables."""
    requirements_missing()
    with ExitStack() as stack:
        dagster_url = stack.enter_context(fresh_schema()).replace("postgresql://", "postgresql+psycopg2://")
        store_url = stack.enter_context(fresh_schema())
        queue = f"workdata-test-{uuid.uuid4().hex[:8]}"
        home = root / "dagster_home"
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKDATA_", "DAGSTER_"))}
        env |= {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_URL": dagster_url,
            "DAGSTER_CELERY_BROKER_URL": RABBITMQ_URL,
            "DAGSTER_CELERY_BACKEND_URL": f"{REDIS_URL}/0",
            "DAGSTER_CELERY_QUEUE": queue,
            "WORKDATA_HOME": str(root),
            "WORKDATA_LOGS_DIR": str(root / "logs"),
            "WORKDATA_STORE_URL": store_url,
            "WORKDATA_CIRCUITS_URL": f"{REDIS_URL}/0",
            "WORKDATA_SETTLE_SECONDS": "0",
            "WORKDATA_SENSOR_INTERVAL_SECONDS": "5",  # every 30 s in a deployment; a test waits less
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **settings,
        }
        cluster = Cluster(root, env, queue)
        # Two workers racing to create the schema fail: the instance is migrated first, once.
        migrated = subprocess.run(
            [sys.executable, "-m", "dagster", "instance", "migrate"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if migrated.returncode:
            raise RuntimeError(f"dagster instance migrate failed: {migrated.stderr[-2000:]}")
        for n in range(1, workers + 1):
            cluster.workers[f"w{n}"] = stack.enter_context(_worker(cluster, f"w{n}"))
        for name, process in cluster.workers.items():
            _wait_ready(cluster, name, process)
        stack.enter_context(_process([*_daemon_command()], env, root / "daemon.log"))
        stack.callback(lambda: cluster._instance and cluster._instance.dispose())
        yield cluster


def _daemon_command() -> list[str]:
    return [sys.executable, "-m", "dagster._daemon", "run", "-w", str(REPO / "workspace.yaml")]


def worker_command(name: str, config: Path, queue: str, log: Path) -> list[str]:
    """A Celery worker as deploy/celery/README.md starts one: one run at a time in a fresh child process
    (a forked child keeps no stale code), on the deployment's queue."""
    return [
        str(BIN / "dagster-celery"),
        "worker",
        "start",
        "-A",
        "dagster_celery.app",
        "-y",
        str(config),
        "-q",
        queue,
        "-n",
        name,
        "--",
        "--concurrency=1",
        "--max-tasks-per-child=1",
        f"--logfile={log}",
    ]


@contextmanager
def _worker(cluster: Cluster, name: str) -> Iterator[subprocess.Popen]:
    command = worker_command(name, DEPLOY / "celery.yaml", cluster.queue, cluster.worker_log(name))
    with _process(command, cluster.env, cluster.root / f"worker-{name}.out") as process:
        yield process


def _wait_ready(cluster: Cluster, name: str, process: subprocess.Popen) -> None:
    """Wait for the worker `name` to say it is ready (the workers start side by side)."""
    deadline = time.monotonic() + 120
    while "ready." not in _read(cluster.worker_log(name)):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"Celery worker {name} did not start: {_read(cluster.root / f'worker-{name}.out')}"
            )
        time.sleep(0.5)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def _process(command: list[str], env: dict[str, str], output: Path) -> Iterator[subprocess.Popen]:
    with output.open("ab") as sink:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop `process` and everything it started (its process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def wait_until(predicate, timeout: float, what: str, every: float = 1.0):
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last answer {last!r}")
