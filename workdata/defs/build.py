"""Assemble the code location's Definitions for a given set of settings."""

from __future__ import annotations

import dagster as dg

from workdata.core.settings import WorkdataSettings
from workdata.defs.automation.retry_sensor import retry_sensor_every
from workdata.defs.automation.sensors import inbox_sensor_every, run_outcome_sensor_every
from workdata.defs.ingest.assets import DOMAIN_ASSETS
from workdata.defs.ingest.jobs import INGEST_JOBS
from workdata.defs.recovery.recovery_jobs import maintenance_schedule, recovery_jobs
from workdata.defs.resources import build_resources


def build_definitions(settings: WorkdataSettings) -> dg.Definitions:
    """Assets, jobs, sensors and resources of workdata, with paths from `settings`."""
    resources = build_resources(settings)
    recovery = recovery_jobs(resources["workdata"])
    return dg.Definitions(
        assets=list(DOMAIN_ASSETS.values()),
        jobs=[*INGEST_JOBS.values(), *recovery],
        schedules=[maintenance_schedule(recovery[-1])],
        sensors=[
            sensor_every(settings.sensor_interval_seconds)
            for sensor_every in (inbox_sensor_every, retry_sensor_every, run_outcome_sensor_every)
        ],
        resources=resources,
    )
