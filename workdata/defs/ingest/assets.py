"""One partitioned asset per domain: each partition is one source file, loaded or failed honestly."""

import warnings
from collections import Counter
from collections.abc import Iterator

import dagster as dg
from dagster import AssetExecutionContext
from dagster_duckdb import DuckDBResource

from workdata.core.domain import Domain
from workdata.core.ingest_context import ingest_for
from workdata.core.log_file import attach_log_file
from workdata.core.operations.file_facts import RejectedRow, first_rejected_rows
from workdata.core.operations.report import failed_files_markdown, failure_summary, reasons_markdown
from workdata.core.outcome import FileOutcome, RunContext
from workdata.core.pipeline import OUTCOME_LOGGER, process_files
from workdata.core.records import FileStatus
from workdata.core.verdict import outcome_line
from workdata.defs.health.checks import check_results, check_specs
from workdata.defs.health.observations import file_observations, rejected_rows_table
from workdata.defs.ingest.partitions import FILE_PARTITIONS
from workdata.defs.ingest.pools import DUCKDB_POOL
from workdata.defs.ingest.session import session_id_for
from workdata.defs.ingest.tags import RETRY_TAG
from workdata.defs.resources import WorkdataResource, store_for
from workdata.domains import DOMAINS

STATUS_TAG = "workdata/file_status"


def file_metadata(
    outcome: FileOutcome, session_id: str, rejected: list[RejectedRow] | None = None
) -> dict[str, dg.MetadataValue]:
    """Materialization metadata of one loaded file (a partial one's first rejected rows included)."""
    metadata = {
        "status": dg.MetadataValue.text(str(outcome.status)),
        "rows_total": dg.MetadataValue.int(outcome.rows_total),
        "rows_loaded": dg.MetadataValue.int(outcome.rows_loaded),
        "rows_failed": dg.MetadataValue.int(outcome.rows_failed),
        "rows_dropped": dg.MetadataValue.int(outcome.rows_dropped),
        "failed_ratio": dg.MetadataValue.float(
            round(outcome.rows_failed / judged, 6)
            if (judged := outcome.rows_total - outcome.rows_dropped)
            else 0.0
        ),
        "file_hash": dg.MetadataValue.text(outcome.file_hash or ""),
        "session_id": dg.MetadataValue.text(session_id),
        "top_failure_reasons": dg.MetadataValue.md(reasons_markdown(outcome)),
    }
    if rejected:
        metadata["first_rejected_rows"] = rejected_rows_table(rejected)
    if outcome.failure_log_path:
        metadata["failure_log"] = dg.MetadataValue.path(outcome.failure_log_path)
    if outcome.extra_columns:
        metadata["schema_drift_extra_columns"] = dg.MetadataValue.text(", ".join(outcome.extra_columns))
    if outcome.sheets:
        metadata["sheets"] = dg.MetadataValue.text(", ".join(outcome.sheets))
    if outcome.skipped_sheets:
        metadata["sheets_skipped"] = dg.MetadataValue.md(skipped_sheets_markdown(outcome.skipped_sheets))
    if outcome.encoding:
        metadata["encoding"] = dg.MetadataValue.text(outcome.encoding)
    return metadata


def skipped_sheets_markdown(skipped: tuple[tuple[str, str], ...]) -> str:
    """A workbook's sheets not read, one line each with the reason."""
    return "\n".join(f"- {name.replace('|', '/')}: not read, {why}" for name, why in skipped)


def outcome_log_captured(instance: dg.DagsterInstance) -> bool:
    """Whether the instance already stores each file's JSON outcome line (the managed `workdata` logger)."""
    # With workdata's dagster.yaml it does, and that line is the file's one log event in the run; an
    # instance that does not capture it gets the same line from the asset instead. (A python_log_level
    # above INFO drops it either way: Dagster applies that level to context.log too.)
    names = OUTCOME_LOGGER.split(".")
    wanted = {".".join(names[: n + 1]) for n in range(len(names))} | {"root"}
    return bool(wanted & set(instance.managed_python_loggers))


def build_domain_asset(domain: Domain) -> dg.AssetsDefinition:
    """The ingest asset of `domain`: any number of file partitions in one run."""

    with warnings.catch_warnings():
        # backfill_policy is "beta" but is the documented way to take many files in one run.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _define(domain)


def _define(domain: Domain) -> dg.AssetsDefinition:
    @dg.asset(
        name=domain.name,
        partitions_def=FILE_PARTITIONS[domain.name],
        backfill_policy=dg.BackfillPolicy.single_run(),
        output_required=False,
        pool=DUCKDB_POOL,
        group_name="ingest",
        kinds={"duckdb", "pandas"},
        description=domain.description,
        metadata={"business_key": ", ".join(domain.business_key)},
        check_specs=check_specs(domain.name),
    )
    def _ingest(
        context: AssetExecutionContext, workdata: WorkdataResource, duckdb: DuckDBResource
    ) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
        settings = workdata.settings()
        # Runs the daemon launches log to the same logs/workdata.log as the CLI.
        if problem := attach_log_file(settings.logs_dir):
            context.log.warning(problem)
        store = store_for(settings, duckdb)
        run = RunContext(session_id_for(context), context.run_id, context.retry_number + 1)
        ingest = ingest_for(settings, domain, store, run, retrying=context.run.tags.get(RETRY_TAG) == "true")
        outcomes: list[FileOutcome] = []
        captured = outcome_log_captured(context.instance)
        for outcome in process_files(domain, context.partition_keys, settings.inbox_dir, ingest):
            if not captured:
                context.log.info(outcome_line(outcome))
            outcomes.append(outcome)
            if outcome.loaded:
                # A partial file's first rejected rows, shown on its partition (one short query each).
                rejected = (
                    first_rejected_rows(store, domain.name, [outcome.file_path]).get(outcome.file_path)
                    if outcome.status is FileStatus.PARTIAL
                    else None
                )
                yield dg.AssetMaterialization(
                    asset_key=context.asset_key,
                    partition=outcome.file_path,
                    metadata=file_metadata(outcome, run.session_id, rejected),
                    # Partial files stand apart from clean ones on the partition, not only in metadata.
                    tags={STATUS_TAG: str(outcome.standing)},
                )
        yield from file_observations(
            context.asset_key, domain.name, outcomes, store, settings.retry.max_attempts
        )
        yield from check_results(domain.name, outcomes, ingest.policy, store, settings.retry.max_attempts)
        # A file another run holds is neither: that run materialises or fails its partition.
        failed = [o for o in outcomes if o.failed]
        if failed:
            raise dg.Failure(
                description=failure_summary(failed),
                metadata={
                    "failed_files": dg.MetadataValue.md(failed_files_markdown(failed)),
                    "categories": dg.MetadataValue.json(dict(Counter(str(o.error_category) for o in failed))),
                    "retryable_files": sum(bool(o.retryable) for o in failed),
                    "session_id": run.session_id,
                },
                allow_retries=any(o.retryable for o in failed),
            )

    return _ingest


DOMAIN_ASSETS: dict[str, dg.AssetsDefinition] = {
    name: build_domain_asset(domain) for name, domain in DOMAINS.items()
}
