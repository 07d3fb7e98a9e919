"""`workdata` as a user runs it: a real subprocess, without the caller's WORKDATA_* settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
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
