"""The Dagster instance the CLI uses: $DAGSTER_HOME, defaulting to workdata's own folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from workdata.core.settings import WorkdataSettings


def ensure_dagster_home(settings: WorkdataSettings) -> Path:
    """Set DAGSTER_HOME when unset and seed it with ./dagster.yaml, so runs persist for the UI."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    template = Path.cwd() / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and template.is_file() and template.parent != home:
        shutil.copyfile(template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
