"""The Dagster instance the CLI uses: $DAGSTER_HOME, defaulting to workdata's own folder."""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from workdata.core.settings import WorkdataSettings

if TYPE_CHECKING:
    import dagster as dg

log = logging.getLogger(__name__)


def ensure_dagster_home(settings: WorkdataSettings) -> Path:
    """Set DAGSTER_HOME when unset and seed it with workdata's dagster.yaml, so runs persist for the UI
    (whatever the current directory: the template ships inside the package)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        with _instance_lock(home):
            if not target.exists():
                # Written aside and renamed: a concurrent first start never reads half a file.
                staged = home / f".dagster.yaml.{os.getpid()}"
                staged.write_bytes((resources.files("workdata") / "dagster.yaml").read_bytes())
                os.replace(staged, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _instance_lock(home: Path) -> FileLock:
    # Processes starting at once on a fresh home create Dagster's SQLite schema one at a time: two
    # creating it together left it with "more than one head present" in alembic.
    return FileLock(home / ".workdata-instance.lock", timeout=300)


def open_instance() -> dg.DagsterInstance:
    """The instance at $DAGSTER_HOME, its storage completed first if a killed process left it half made."""
    import dagster as dg
    from dagster._core.errors import DagsterInvalidInvocationError

    from workdata.defs.ingest.partitions import FILE_PARTITIONS

    home = Path(os.environ["DAGSTER_HOME"])
    with _instance_lock(home):
        try:
            instance = dg.DagsterInstance.get()
            instance.get_dynamic_partitions(next(iter(FILE_PARTITIONS.values())).name)
        except DagsterInvalidInvocationError:
            # A first `workdata run` killed (or interrupted) while Dagster created its SQLite tables
            # leaves the event-log index without them, and every later run failed with "run dagster
            # instance migrate" (seen in the crash soak). Migrating is what that message asks for.
            log.warning("workdata: the Dagster instance at %s was incomplete; migrating it", home)
            instance = _migrated(home)
        except Exception as exc:
            raise BrokenInstanceError(home, exc) from exc
    return instance


def _migrated(home: Path) -> dg.DagsterInstance:
    import dagster as dg

    try:
        dg.DagsterInstance.get().upgrade()
        return dg.DagsterInstance.get()
    except Exception as exc:
        raise BrokenInstanceError(home, exc) from exc


class BrokenInstanceError(RuntimeError):
    """The Dagster instance cannot be opened; the message says how to repair it."""

    def __init__(self, home: Path, exc: Exception) -> None:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        super().__init__(
            f"The Dagster instance at {home} cannot be opened ({first}). Repair it with "
            f"`DAGSTER_HOME={home} dagster instance migrate`, or move the folder aside: workdata makes a "
            "new one and the ledger keeps every file's state."
        )
