"""Record a finished run's honest outcome: run_summaries row, outcome tag, Markdown report event."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
from dagster._core.events import EngineEventData

from workdata.core.faults import checkpoint
from workdata.core.ingest_context import ingest_for
from workdata.core.operations.run_summary import RunSummary, summarize, summary_line, summary_markdown
from workdata.core.outcome import RunContext
from workdata.core.pipeline import record_unreached
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.ledger_reads import attempts_for_run, save_run_summary
from workdata.core.storage.store import Store
from workdata.defs.ingest.jobs import domain_of_run
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.defs.ingest.session import session_id_of_run
from workdata.domains import DOMAINS

OUTCOME_TAG = "workdata/outcome"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def expected_files(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[tuple[str, str]]:
    """(domain, file) pairs the run was asked to process, from its partition tags."""
    domain = domain_of_run(run)
    if domain is None:
        return []
    if "dagster/partition" in run.tags:
        return [(domain, run.tags["dagster/partition"])]
    start, end = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
    keys = instance.get_dynamic_partitions(FILE_PARTITIONS[domain].name)
    if start not in keys or end not in keys:
        return []
    return [(domain, key) for key in keys[keys.index(start) : keys.index(end) + 1]]


def requeue_unreached(
    instance: dg.DagsterInstance, run: dg.DagsterRun, settings: WorkdataSettings, store: Store
) -> int:
    """A run that died (FAILURE or CANCELED): the files it never reached become FAILED and retryable in
    the ledger, so the retry sensor takes them again (the inbox sensor requested them once and will not
    again). Returns how many were recorded."""
    if run.status not in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        return 0
    context = RunContext(session_id_of_run(instance, run), run.run_id)
    by_domain: dict[str, list[str]] = {}
    for domain, key in expected_files(instance, run):
        by_domain.setdefault(domain, []).append(key)
    return sum(
        len(
            record_unreached(
                DOMAINS[d],
                keys,
                settings.inbox_dir,
                ingest_for(settings, DOMAINS[d], store, context),
                run.run_id,
            )
        )
        for d, keys in by_domain.items()
    )


def record_run_outcome(instance: dg.DagsterInstance, run: dg.DagsterRun, store: Store) -> RunSummary:
    """Summarise `run` from the ledger, persist it, tag the run and attach the report to its log."""
    record = instance.get_run_record_by_id(run.run_id)
    summary = summarize(
        run.run_id,
        session_id_of_run(instance, run),
        attempts_for_run(store, run.run_id),
        expected_files(instance, run),
        started_at=_utc(record.start_time if record else None),
        finished_at=_utc(record.end_time if record else None),
    )
    checkpoint("run_status", run.run_id)
    save_run_summary(store, summary.as_row())
    instance.add_run_tags(run.run_id, outcome_tags(summary))
    instance.report_engine_event(
        f"workdata outcome {summary.status}: {summary_line(summary)}",
        run,
        EngineEventData(
            metadata={
                "outcome": dg.MetadataValue.text(summary.status),
                "report": dg.MetadataValue.md(summary_markdown(summary)),
                "files_failed": dg.MetadataValue.int(summary.files_failed),
                "rows_loaded": dg.MetadataValue.int(summary.rows_loaded),
                "rows_failed": dg.MetadataValue.int(summary.rows_failed),
                "rows_dropped": dg.MetadataValue.int(summary.rows_dropped),
            }
        ),
    )
    return summary


COUNT_TAGS = {
    "files_failed": "workdata/files_failed",
    "files_partial": "workdata/files_partial",
    "files_dead_letter": "workdata/files_dead_letter",
}
TOP_CATEGORY_TAG = "workdata/top_category"


def outcome_tags(summary: RunSummary) -> dict[str, str]:
    """The run's outcome, its failed, partial and dead-lettered file counts and the top failure category,
    as tags: the run list shows them and filters on them."""
    tags = {OUTCOME_TAG: summary.status}
    tags |= {tag: str(getattr(summary, field)) for field, tag in COUNT_TAGS.items()}
    categories = Counter(e.category for e in summary.top_errors)
    if categories:
        tags[TOP_CATEGORY_TAG] = categories.most_common(1)[0][0]
    return tags


def _utc(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


LAUNCHER_TAG, PID_TAG = "workdata/launcher", "workdata/pid"


def reap_dead_cli_runs(instance: dg.DagsterInstance, store: Store) -> list[str]:
    """Runs `workdata run` started in-process whose process is gone: mark them failed and summarise."""
    active = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED]
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=active, tags={LAUNCHER_TAG: "cli"}))
    reaped = []
    for run in runs:
        if _alive(int(run.tags.get(PID_TAG, "0"))):
            continue
        instance.report_run_failed(run, "The workdata process running it died.")
        record_run_outcome(instance, instance.get_run_by_id(run.run_id), store)
        reaped.append(run.run_id)
    return reaped


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
