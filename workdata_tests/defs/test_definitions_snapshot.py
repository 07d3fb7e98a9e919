"""A snapshot of the code location's definitions: what an operator finds in the UI (assets with their
checks, jobs, sensors, schedules, resources and their one-line descriptions) changes only on purpose.

After a deliberate change, rerun this test with WORKDATA_UPDATE_SNAPSHOT=1 and commit the new snapshot
with the change."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from workdata.definitions import defs as location_defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "(no description)"


def render(defs: dg.Definitions) -> str:
    """The definitions as sorted plain text, one line per definition."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    lines = ["# assets"]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def.name if node.partitions_def else "-"
        lines.append(
            f"{key.to_user_string()} [group {node.group_name}; partitions {partitions}; "
            f"kinds {', '.join(sorted(node.kinds))}]: {_first_line(node.description)}"
        )
        for check in sorted(node.check_keys, key=lambda c: c.name):
            spec = graph.get_check_spec(check)
            lines.append(f"  check {check.name}: {_first_line(spec.description)}")
    lines.append("# jobs")
    for job in sorted(repo.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue  # Dagster's implicit asset job
        lines.append(f"{job.name} [executor {job.executor_def.name}]: {_first_line(job.description)}")
    lines.append("# sensors")
    for sensor in sorted(defs.sensors or [], key=lambda s: s.name):
        status, every = sensor.default_status.value, sensor.minimum_interval_seconds
        lines.append(f"{sensor.name} [default {status}; every {every}s]: {_first_line(sensor.description)}")
    lines.append("# schedules")
    for schedule in sorted(defs.schedules or [], key=lambda s: s.name):
        lines.append(
            f"{schedule.name} [{schedule.cron_schedule} -> {schedule.job_name}]: "
            f"{_first_line(schedule.description)}"
        )
    lines.append("# resources")
    lines += sorted((defs.resources or {}).keys())
    return "\n".join(lines) + "\n"


def test_definitions_match_the_snapshot(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKDATA_HOME", str(tmp_path))
    text = render(location_defs())
    if os.environ.get("WORKDATA_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), "no snapshot yet: run with WORKDATA_UPDATE_SNAPSHOT=1 and commit it"
    assert text == SNAPSHOT.read_text(), (
        "the definitions changed; if on purpose, rerun with WORKDATA_UPDATE_SNAPSHOT=1 and commit the new "
        "snapshot"
    )
