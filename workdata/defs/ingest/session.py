"""The session a run belongs to: its tag, or one derived from the run itself."""

from __future__ import annotations

import dagster as dg

from workdata.core.session import SESSION_TAG, is_session_id, new_session_id


def session_id_of_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The run's `workdata/session_id` tag, else a stable id made from the run's id and creation time."""
    tagged = run.tags.get(SESSION_TAG)
    if tagged and is_session_id(tagged):
        return tagged
    record = instance.get_run_record_by_id(run.run_id)
    created = record.create_timestamp if record else None
    return new_session_id(created, suffix=run.run_id.replace("-", "")[:6])


def session_id_for(context: dg.AssetExecutionContext) -> str:
    """The session of the running asset's run."""
    return session_id_of_run(context.instance, context.run)
