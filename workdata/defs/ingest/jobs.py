"""One ingest job per domain (in-process executor: a run is one step over many files)."""

from __future__ import annotations

import dagster as dg

from workdata.core.inbox.planning import RunPlan
from workdata.core.session import SESSION_TAG
from workdata.defs.ingest.assets import DOMAIN_ASSETS
from workdata.defs.ingest.partitions import FILE_PARTITIONS


def job_name(domain: str) -> str:
    """Name of the ingest job of `domain`."""
    return f"ingest_{domain}"


def domain_of_job(name: str) -> str | None:
    """The domain an ingest job serves, or None for other jobs."""
    domain = name.removeprefix("ingest_")
    return domain if name.startswith("ingest_") and domain in DOMAIN_ASSETS else None


def domain_of_run(run: dg.DagsterRun) -> str | None:
    """The domain whose files a run ingests: its ingest job's, or for a run of another job (the UI's
    "Materialize", a re-execution of failed partitions, a backfill) the domain asset it selected."""
    by_job = domain_of_job(run.job_name)
    if by_job is not None:
        return by_job
    selected = {key.to_user_string() for key in run.asset_selection or ()}
    domains = [name for name in DOMAIN_ASSETS if name in selected]
    return domains[0] if len(domains) == 1 else None


INGEST_JOBS: dict[str, dg.UnresolvedAssetJobDefinition] = {
    domain: dg.define_asset_job(
        name=job_name(domain),
        selection=dg.AssetSelection.assets(asset),
        partitions_def=FILE_PARTITIONS[domain],
        executor_def=dg.in_process_executor,
        description=f"Ingest {domain} files: one partition per file, many files per run.",
    )
    for domain, asset in DOMAIN_ASSETS.items()
}


def run_tags(plan: RunPlan, session_id: str) -> dict[str, str]:
    """Tags of a ranged ingest run: the partition range and the session."""
    return {
        "dagster/asset_partition_range_start": plan.keys[0],
        "dagster/asset_partition_range_end": plan.keys[-1],
        SESSION_TAG: session_id,
    }
