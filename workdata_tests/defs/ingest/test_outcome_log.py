"""Each file's outcome is one plain log line in its run, whether or not the instance captures `workdata`
(its JSON fields go to logs/workdata.log)."""

from pathlib import Path

import pytest
import yaml
from dagster._core.test_utils import instance_for_test

from workdata.core.inbox.planning import RunPlan
from workdata.core.verdict import is_outcome_line
from workdata.defs.ingest.assets import outcome_log_captured
from workdata.defs.ingest.jobs import job_name, run_tags
from workdata.defs.ingest.partitions import FILE_PARTITIONS

REPO = Path(__file__).resolve().parents[3]
DOMAIN = "annuity_income"


def _python_logs() -> dict:
    return yaml.safe_load((REPO / "dagster.yaml").read_text())["python_logs"]


@pytest.mark.parametrize(
    "overrides, captured",
    [
        ({"python_logs": _python_logs()}, True),  # workdata's own dagster.yaml
        ({}, False),  # an instance without managed loggers
        ({"python_logs": {"managed_python_loggers": ["root"]}}, True),
    ],
)
def test_one_outcome_event_per_file(defs, demo, overrides, captured):
    keys = [f.key for f in demo if f.domain == DOMAIN]
    with instance_for_test(overrides=overrides) as instance:
        assert outcome_log_captured(instance) is captured
        instance.add_dynamic_partitions(FILE_PARTITIONS[DOMAIN].name, keys)
        plan = RunPlan(DOMAIN, tuple(keys), tuple("-" for _ in keys))
        result = defs.resolve_job_def(job_name(DOMAIN)).execute_in_process(
            instance=instance, tags=run_tags(plan, "etl_20241130_101500_abc123"), raise_on_error=False
        )
        messages = [e.user_message for e in instance.all_logs(result.run_id) if not e.is_dagster_event]
    outcomes = [m for m in messages if is_outcome_line(m)]
    assert sorted(m.split(": ", 1)[0].removeprefix(f"File {DOMAIN}/") for m in outcomes) == sorted(keys)
    assert not any(m.lstrip().startswith("{") for m in messages)  # no JSON blobs in the event log
    failed = [m for m in outcomes if ": FAILED — " in m]
    assert failed and all(("not retried: " in m or "retried later: " in m) for m in failed)
