"""The Dagster instance the CLI uses: $DAGSTER_HOME, defaulting to workdata's own folder."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from workdata.core.settings import WorkdataSettings

if TYPE_CHECKING:
    import dagster as dg

log = logging.getLogger(__name__)


def ensure_dagster_home(settings: WorkdataSettings) -> Path:
    """Set DAGSTER_HOME when unset and seed it with ./dagster.yaml, so runs persist for the UI."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    template = Path.cwd() / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and template.is_file() and template.parent != home:
        shutil.copyfile(template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def open_instance() -> dg.DagsterInstance:
    """The instance at $DAGSTER_HOME, its storage completed first if a killed process left it half made."""
    import dagster as dg
    from dagster._core.errors import DagsterInvalidInvocationError

    from workdata.defs.partitions import FILE_PARTITIONS

    instance = dg.DagsterInstance.get()
    try:
        instance.get_dynamic_partitions(next(iter(FILE_PARTITIONS.values())).name)
    except DagsterInvalidInvocationError:
        # A first `workdata run` killed (or interrupted) while Dagster created its SQLite tables leaves
        # the event-log index without them, and every later run failed with "run dagster instance
        # migrate" (seen in the crash soak). Migrating is what that message asks for; do it here.
        log.warning(
            "workdata: the Dagster instance at %s was incomplete; migrating it", instance.root_directory
        )
        instance.upgrade()
        instance = dg.DagsterInstance.get()
    return instance
