"""File names, headers and cells are data, never code; nothing escapes its folder; secrets stay out."""

import json

import pytest

from workdata.cli import build_parser
from workdata.cli.commands import ui_command
from workdata.core.domain import Domain
from workdata.core.inbox.quarantine import quarantine
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import FileOutcome
from workdata.core.pipeline import process_file
from workdata.core.records import FileStatus
from workdata.core.storage.failure_csv import read_failures
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS
from workdata_tests.defs.retry_helpers import DOMAIN, first_run, state

INCOME = DOMAINS["annuity_income"]
HOSTILE_NAMES = [
    "'; DROP TABLE file_state; --.csv",
    'x"); DELETE FROM failed_records; --.csv',
    "计划 ☃ $(rm -rf).csv",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_are_only_data(settings, store, run, name):
    rows = make_rows(INCOME.name, 2, "2024-10", 5)
    rows[2]["customer_name"] = '=HYPERLINK("http://evil")'
    rows[2]["plan_code"] = "P9999'); DROP TABLE annuity_income; --"
    path = settings.inbox_dir / INCOME.name / name
    write_csv(path, rows)
    outcome = process_file(INCOME, path, name, Ingest(store, run, settings.failure_log_path(run.session_id)))
    assert outcome.status is FileStatus.PARTIAL
    assert store.get_state(INCOME.name, name)["file_path"] == name
    with store.connect() as conn:
        tables = {t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"file_state", "failed_records", "annuity_income"} <= tables
        loaded = conn.execute("SELECT count(*) FROM annuity_income WHERE _source_file = ?", [name]).fetchone()
        assert loaded == (4,)
    logged = read_failures(settings.failure_log_path(run.session_id))
    assert all(not v.startswith(("=", "+", "-", "@")) for v in logged.to_numpy().ravel())
    # The stored raw data keeps the value as it was: only the spreadsheet cells are defused.
    assert json.loads(logged["raw_data"].iloc[0])["customer_name"].startswith("=HYPERLINK")


def test_a_partition_key_that_escapes_the_inbox_is_refused_and_recorded(world, instance):
    from workdata.defs.build import build_definitions

    settings, _ = world
    secret = settings.inbox_dir / "secret.csv"
    secret.write_text("top,secret\n1,2\n")
    first_run(build_definitions(settings), instance, ("../secret.csv",))
    recorded = state(settings, "../secret.csv")
    assert (recorded["status"], recorded["stage"], recorded["retryable"]) == ("FAILED", "discover", False)
    assert "outside the annuity_income inbox" in recorded["user_message"]
    assert DOMAIN == "annuity_income"


def test_quarantine_never_writes_outside_its_root(tmp_path):
    outcome = FileOutcome("annuity_income", "../../../escaped.csv", "h", FileStatus.DEAD_LETTER)
    source = tmp_path / "f.csv"
    source.write_text("a\n")
    with pytest.raises(ValueError, match="outside"):
        quarantine(tmp_path / "quarantine", outcome, source, "etl_20241130_101500_abc123", None, 4)
    assert not (tmp_path / "escaped.csv").exists()


def test_stored_messages_are_redacted(settings, store, run, monkeypatch):
    import workdata.core.engine.staging as engine

    def leaky(*args, **kwargs):
        raise ConnectionError(
            "cannot reach postgresql://etl:s3cr3t@db.internal/prod?password=s3cr3t&token=abc"
        )

    monkeypatch.setattr(engine, "read_raw", leaky)  # a dependency failing with credentials in its message
    path = settings.inbox_dir / INCOME.name / "f.csv"
    write_csv(path, make_rows(INCOME.name, 2, "2024-10", 3))
    process_file(INCOME, path, "f.csv", Ingest(store, run, settings.failure_log_path(run.session_id)))
    stored = store.get_state(INCOME.name, "f.csv")
    assert "s3cr3t" not in stored["error_message"] and "abc" not in stored["error_message"]
    assert "etl:***@db.internal" in stored["error_message"]


def test_domain_names_must_be_plain_sql_identifiers():
    with pytest.raises(ValueError, match="identifier"):
        Domain(name='x"; DROP TABLE file_state; --', schema=INCOME.schema, description="bad")


def test_the_ui_binds_to_loopback_by_default():
    args = build_parser().parse_args(["ui"])
    command = ui_command(args.host, args.port)
    assert command[command.index("-h") + 1] == "127.0.0.1"
