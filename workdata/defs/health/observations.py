"""Each failed or dead-lettered file speaks on its own partition (an AssetObservation with why, whether
and when it is retried and how to act); each partial file's materialization shows its first rejected rows."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg

from workdata.core.operations.file_facts import FailedFileFacts, RejectedRow, failed_file_facts
from workdata.core.outcome import FileOutcome
from workdata.core.storage.store import Store
from workdata.defs.recovery.launchpad import action_link

_REJECTED_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("row", "int", description="Data row (or Excel row) in the source file"),
        dg.TableColumn("column", "string"),
        dg.TableColumn("check", "string"),
        dg.TableColumn("value", "string", description="The raw value as the file held it"),
        dg.TableColumn("message", "string"),
    ]
)


def file_observations(
    asset_key: dg.AssetKey, domain: str, outcomes: list[FileOutcome], store: Store, max_attempts: int
) -> Iterator[dg.AssetObservation]:
    """One observation per failed file of the run (one query for the whole run)."""
    failed = [o.file_path for o in outcomes if o.failed]
    states = store.get_states(domain, failed) if failed else {}
    for key in failed:
        if (state := states.get(key)) is not None:
            metadata = _failed_metadata(failed_file_facts(domain, state, max_attempts))
            if link := action_link(domain, state):
                label, url = link
                metadata[label] = dg.MetadataValue.url(url)
            yield dg.AssetObservation(asset_key=asset_key, partition=key, metadata=metadata)


def _failed_metadata(facts: FailedFileFacts) -> dict[str, dg.MetadataValue]:
    metadata = {
        "status": dg.MetadataValue.text(facts.status),
        "reason": dg.MetadataValue.text(facts.reason),
        "category": dg.MetadataValue.text(facts.category),
        "retryable": dg.MetadataValue.bool(facts.retryable),
        "attempts": dg.MetadataValue.text(f"{facts.attempts} of {facts.max_attempts}"),
        "next_retry": dg.MetadataValue.text(facts.next_retry),
        "what_to_do": dg.MetadataValue.text(facts.action),
    }
    if facts.last_attempt_at is not None:
        metadata["last_attempt"] = dg.MetadataValue.timestamp(facts.last_attempt_at)
    if facts.quarantine_path:
        metadata["quarantine_path"] = dg.MetadataValue.path(facts.quarantine_path)
    if facts.failure_log_path:
        metadata["failure_log"] = dg.MetadataValue.path(facts.failure_log_path)
    return metadata


def rejected_rows_table(rows: list[RejectedRow]) -> dg.TableMetadataValue:
    """A partial file's first rejected rows: row number, column, check, the raw value and the message."""
    records = [
        dg.TableRecord(
            {"row": r.row_index, "column": r.column, "check": r.check, "value": r.value, "message": r.message}
        )
        for r in rows
    ]
    return dg.MetadataValue.table(records, schema=_REJECTED_SCHEMA)
