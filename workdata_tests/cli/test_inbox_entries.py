"""Odd inbox entries never vanish: each ends in the ledger (FAILED, a category, one sentence) or is
reported as ignored with its reason by `workdata run`, `workdata status` and the inbox sensor's tick."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import dagster as dg
import pytest

from workdata.app import open_store
from workdata.core.settings import WorkdataSettings
from workdata.defs.automation.sensors import inbox_sensor
from workdata.defs.build import build_definitions
from workdata.demo.files import make_rows, write_csv
from workdata_tests.cli_process import REPO, clean_env, workdata

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@cache
def as_nobody() -> bool:
    # Root reads every file: an unreadable file is only unreadable to an ordinary user, who must be able
    # to reach this checkout and its virtualenv (a clone under a private folder cannot).
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run(
        [*NOBODY, sys.executable, "-c", "import workdata.cli"], cwd=REPO, capture_output=True, timeout=120
    )
    return probe.returncode == 0


IGNORED = {
    "tab\tname.csv": "tab, line break, '...'",
    "new\nline.csv": "tab, line break, '...'",
    "dots...csv": "tab, line break, '...'",
    "out.csv": "a link pointing outside the inbox",
    "dangling.csv": "a link to nothing",
    "pipe.csv": "not a regular file",
    "folder.csv": "a folder named like a data file",
}


def _odd_inbox(inbox: Path, outside: Path) -> None:
    write_csv(inbox / "good.csv", make_rows("annuity_income", 1, "2024-07", 20))
    for name in ("tab\tname.csv", "new\nline.csv", "dots...csv"):
        shutil.copyfile(inbox / "good.csv", inbox / name)
    outside.write_text("secret,data\n1,2\n")
    (inbox / "out.csv").symlink_to(outside)
    (inbox / "dangling.csv").symlink_to(inbox / "nowhere.csv")
    os.mkfifo(inbox / "pipe.csv")
    (inbox / "folder.csv").mkdir()
    (inbox / "notes.txt").write_text("call Li about the July file\n")
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    (inbox / ".hidden.csv").write_text("x\n")
    secret = inbox / "secret.csv"
    shutil.copyfile(inbox / "good.csv", secret)
    secret.chmod(0)


@pytest.fixture
def home() -> Iterator[Path]:
    # World-writable, so that the CLI may run as `nobody` (for whom secret.csv is unreadable).
    folder = Path(tempfile.mkdtemp(prefix="workdata-odd-"))
    folder.chmod(0o777)
    inbox = folder / "inbox" / "annuity_income"
    inbox.mkdir(parents=True)
    _odd_inbox(inbox, folder / "outside.csv")
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink() and path.name != "secret.csv":
            path.chmod(0o777 if path.is_dir() else 0o666)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(WORKDATA_HOME=str(home), WORKDATA_SETTLE_SECONDS="0", HOME=str(home))
    prefix = NOBODY if as_nobody() else []
    return workdata(env, *args, prefix=prefix)


def test_every_odd_entry_is_ledgered_or_reported(home):
    run = _cli(home, "run")
    out = run.stdout
    assert run.returncode != 0, out + run.stderr
    assert "Traceback" not in out + run.stderr
    assert "Ignored inbox entries" in out
    for name, reason in IGNORED.items():
        assert repr(name) in out, name
        assert reason in out, reason
    store = open_store(WorkdataSettings(home=home))
    states = {name: store.get_state("annuity_income", name) for name in ("notes.txt", "old.xls", "good.csv")}
    assert states["good.csv"]["status"] == "SUCCESS"
    for name in ("notes.txt", "old.xls"):
        assert (states[name]["status"], states[name]["error_category"]) == ("FAILED", "data_malformed")
    assert "not supported" in states["notes.txt"]["user_message"]
    assert (
        "corrupt or not an Excel file" in states["old.xls"]["user_message"]
    )  # .xls is read, this one is not one
    if as_nobody():
        secret = store.get_state("annuity_income", "secret.csv")
        assert (secret["status"], secret["error_category"], secret["retryable"]) == ("FAILED", "auth", False)
        assert "permission denied" in secret["user_message"]
        # Not planned again until it changes: the next run finds nothing new, still reports the rest.
        again = _cli(home, "run")
        assert "Nothing new or changed" in again.stdout and again.returncode == 3, again.stdout + again.stderr

    status = json.loads(_cli(home, "status", "--json").stdout)
    reported = {entry["name"]: entry["reason"] for entry in status["ignored"]}
    assert set(IGNORED) <= set(reported)
    assert reported[".hidden.csv"].startswith("a hidden file")


def test_the_inbox_sensor_says_what_it_ignored(home):
    settings = WorkdataSettings(home=home, settle_seconds=0)
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, instance_ref=instance.get_ref(), definitions=defs, resources=defs.resources
        )
        first = inbox_sensor(context)
        assert {r.job_name for r in first.run_requests} == {"ingest_annuity_income"}
        added = {k for r in first.dynamic_partitions_requests for k in r.partition_keys}
        assert {"good.csv", "notes.txt", "old.xls", "secret.csv"} <= added
        context = dg.build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            definitions=defs,
            resources=defs.resources,
            cursor=first.cursor,
        )
        rested = inbox_sensor(context)
        assert not rested.run_requests
        message = rested.skip_reason.skip_message
        assert "ignored 8 entries" in message and "'dangling.csv' (a link to nothing" in message
