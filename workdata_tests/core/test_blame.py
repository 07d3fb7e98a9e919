"""Who is at fault: deterministic bad content is never a retryable `unknown`, a broken reference table is
the reference's fault (retryable, named), and an open circuit never relabels an earlier failure."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workdata.core.ingest_context import ingest_for
from workdata.core.pipeline import process_file
from workdata.core.records import ErrorCategory, FileStatus
from workdata.core.session import utc_now
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.circuit import HALF_OPEN, Circuit, circuit_breakers
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]


@pytest.fixture
def references(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    shutil.copytree(Path(str(resources.files("workdata.domains") / "reference")), folder)
    return folder


@pytest.fixture
def local(settings: WorkdataSettings, references: Path) -> WorkdataSettings:
    return settings.model_copy(update={"reference_dir": references})


def _ingest(settings, store, run, name: str, retrying: bool = False):
    path = settings.inbox_dir / INCOME.name / name
    return process_file(INCOME, path, name, ingest_for(settings, INCOME, store, run, retrying=retrying))


def _clean(settings, name: str, rows: int = 20) -> list[dict[str, str]]:
    made = make_rows(INCOME.name, 7, "2024-07", rows)
    write_csv(settings.inbox_dir / INCOME.name / name, made)
    return made


def test_cr_only_line_endings_are_bad_content_not_retried(local, store, run):
    _clean(local, "ok.csv")
    path = local.inbox_dir / INCOME.name
    (path / "cr.csv").write_bytes(
        (path / "ok.csv").read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    )
    outcome = _ingest(local, store, run, "cr.csv")
    assert (outcome.status, outcome.error_category, outcome.retryable) == (
        FileStatus.FAILED,
        ErrorCategory.DATA_MALFORMED,
        False,
    )
    assert "carriage return" in outcome.user_message


def test_json_nested_beyond_the_parser_is_a_malformed_row(local, store, run):
    rows = _clean(local, "unused.csv", rows=10)
    lines = ['{"a":' * 100_000 + "1" + "}" * 100_000, *(json.dumps(r) for r in rows)]
    (local.inbox_dir / INCOME.name / "deep.jsonl").write_text("\n".join(lines) + "\n")
    outcome = _ingest(local, store, run, "deep.jsonl")
    assert (outcome.status, outcome.rows_loaded, outcome.rows_failed) == (FileStatus.PARTIAL, 10, 1)
    records = store.failed_records(source_file="deep.jsonl")
    assert list(records["error_type"]) == ["MALFORMED_ROW"] and int(records["row_index"].iloc[0]) == 1


def test_a_nested_parquet_column_is_kept_as_json_text(local, store, run):
    rows = _clean(local, "unused.csv")
    table = pa.Table.from_pylist([dict(r, extra={"x": 1, "y": [1, 2]}) for r in rows])
    pq.write_table(table, local.inbox_dir / INCOME.name / "nested.parquet")
    outcome = _ingest(local, store, run, "nested.parquet")
    assert (outcome.status, outcome.rows_loaded) == (FileStatus.SUCCESS, 20)
    assert outcome.extra_columns == ("extra",)
    keyed = pa.Table.from_pylist([dict(r, plan_code={"code": r["plan_code"]}) for r in rows])
    pq.write_table(keyed, local.inbox_dir / INCOME.name / "nested_key.parquet")
    bad = _ingest(local, store, run, "nested_key.parquet")
    # A nested value where text is expected: every row is a validation failure, the file is bad data.
    assert (bad.status, bad.error_category, bad.retryable, bad.rows_failed) == (
        FileStatus.FAILED,
        ErrorCategory.DATA_MALFORMED,
        False,
        20,
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"wrong,columns\n1,2\n", "lacks the column(s) plan_code"),
        (b"plan_code\n\xff\xfe\xfa\n", "is not UTF-8 CSV"),
    ],
)
def test_a_broken_reference_table_is_its_own_retryable_fault(local, store, run, references, content, problem):
    (references / "plans.csv").write_bytes(content)
    _clean(local, "good.csv")
    outcome = _ingest(local, store, run, "good.csv")
    assert (outcome.status, outcome.error_category, outcome.retryable) == (
        FileStatus.FAILED,
        ErrorCategory.CONNECTIVITY,
        True,
    )
    assert "reference table 'plans'" in outcome.user_message and problem in outcome.user_message
    assert outcome.dependency == "reference:plans"


def test_a_file_gone_before_it_is_read_is_not_retried_and_comes_back_as_new(local, store, run):
    outcome = _ingest(local, store, run, "gone.csv")
    assert (outcome.status, outcome.retryable, outcome.file_hash) == (FileStatus.FAILED, False, None)
    assert "renamed or deleted" in outcome.user_message
    assert ("annuity_income", "gone.csv") not in store.processed_hashes()


def test_an_open_circuit_never_relabels_an_earlier_failure(local, store, run):
    path = local.inbox_dir / INCOME.name / "broken.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x01 not a csv")
    first = _ingest(local, store, run, "broken.csv")
    assert (first.error_category, first.retryable) == (ErrorCategory.DATA_MALFORMED, False)
    breakers = circuit_breakers(local)
    until = (utc_now() + timedelta(minutes=5)).isoformat()
    breakers._write({"warehouse": Circuit(state=HALF_OPEN, failures=3, retry_at=until)})
    again = _ingest(local, store, run, "broken.csv", retrying=True)
    assert (again.status, again.previous_status) == (FileStatus.SKIPPED, FileStatus.FAILED)
    assert again.failed and "It keeps its earlier failure" in again.user_message
    state = store.get_state(INCOME.name, "broken.csv")
    assert (state["error_category"], state["retryable"], state["attempts"]) == ("data_malformed", False, 1)


def test_blame_through_the_cli(tmp_path, references):
    """The same cases as a user meets them: `workdata run` on an inbox holding them, then the ledger."""
    from workdata.app import open_store
    from workdata_tests.cli_process import clean_env, workdata_in_process

    inbox = tmp_path / "home" / "inbox" / INCOME.name
    rows = make_rows(INCOME.name, 7, "2024-07", 20)
    write_csv(inbox / "ok.csv", rows)
    text = (inbox / "ok.csv").read_bytes()
    (inbox / "cr.csv").write_bytes(text.replace(b"\r\n", b"\r").replace(b"\n", b"\r"))
    lines = ['{"a":' * 100_000 + "1" + "}" * 100_000, *(json.dumps(r) for r in rows[:4])]
    (inbox / "deep.jsonl").write_text("\n".join(lines) + "\n")
    pq.write_table(pa.Table.from_pylist([dict(r, extra={"x": [1]}) for r in rows]), inbox / "nested.parquet")
    (inbox / "ok.csv").unlink()
    write_csv(inbox / "needs_plans.csv", make_rows(INCOME.name, 8, "2024-08", 20))
    (references / "plans.csv").write_bytes(b"wrong,columns\n1,2\n")
    env = clean_env(WORKDATA_HOME=str(tmp_path / "home"), WORKDATA_REFERENCE_DIR=str(references))
    result = workdata_in_process(env, "run")
    assert "Traceback" not in result.stdout + result.stderr
    store = open_store(WorkdataSettings(home=tmp_path / "home"))
    ledger = {
        name: (s["status"], s["error_category"], s["retryable"])
        for name in ("cr.csv", "deep.jsonl", "nested.parquet", "needs_plans.csv")
        if (s := store.get_state(INCOME.name, name))
    }
    assert ledger["cr.csv"] == ("FAILED", "data_malformed", False)
    assert ledger["needs_plans.csv"] == ("FAILED", "connectivity", True)
    # Both need the broken reference table too: they wait for it, retryable, never blamed.
    assert ledger["deep.jsonl"][1:] == ledger["nested.parquet"][1:] == ("connectivity", True)
    assert "reference table 'plans'" in store.get_state(INCOME.name, "needs_plans.csv")["user_message"]


def test_skip_failed_never_skips_a_file_for_its_own_earlier_failure(local, store, run, references):
    """--skip-failed skips content known bad under another name; the file's own retry still runs."""
    _clean(local, "retry_me.csv")
    plans = (references / "plans.csv").read_bytes()
    (references / "plans.csv").unlink()
    assert _ingest(local, store, run, "retry_me.csv").status is FileStatus.FAILED
    (references / "plans.csv").write_bytes(plans)
    strict = local.model_copy(update={"skip_failed": True})
    assert _ingest(strict, store, run, "retry_me.csv", retrying=True).status is FileStatus.SUCCESS
