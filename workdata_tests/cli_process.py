"""`workdata` as a user runs it: a real subprocess, without the caller's WORKDATA_* settings; or, where a
test is about what a command does rather than about its process, the same command in this process."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment less every WORKDATA_* and DAGSTER_HOME, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKDATA_", "DAGSTER_HOME"))}
    return env | settings


def workdata(
    env: dict[str, str], *args: str, cwd: Path = REPO, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess:
    """`python -m workdata.cli ARGS` in `cwd` (after `prefix`, e.g. setpriv), output captured as text."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "workdata.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def workdata_in_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`workdata ARGS` through `workdata.cli.main` in this process, as `workdata()` runs it in a new one:
    `env` is the whole environment, output is captured, the exit status is what the process would exit
    with (an uncaught exception prints its traceback to stderr and gives 1). Everything the command
    changes in this process (environment, the `workdata` logger's handlers) is put back afterwards.
    Saves the start-up a new process pays importing Dagster and workdata (benchmarks/README.md)."""
    from workdata.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _environment(env), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except Exception:
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["workdata", *args], code, out.getvalue(), err.getvalue())


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved_env, logger = dict(os.environ), logging.getLogger("workdata")
    saved_handlers, saved_level = list(logger.handlers), logger.level
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        # A handler the command closed (one log file per process) reopens itself on its next record.
        for handler in [h for h in logger.handlers if h not in saved_handlers]:
            logger.removeHandler(handler)
            handler.close()
        logger.handlers[:] = saved_handlers
        logger.setLevel(saved_level)
        os.environ.clear()
        os.environ.update(saved_env)
