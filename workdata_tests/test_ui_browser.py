"""The Dagster UI in a real browser (Debian's headless Chromium driven by Playwright): after the demo was
ingested, an operator sees failed and materialized partitions, the run outcome with its failure report,
and the inbox and retry sensors. Screenshots go to $WORKDATA_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from workdata.core.records import FileStatus
from workdata.demo.files import DemoFile
from workdata.demo.inbox import write_demo
from workdata_tests.conftest import TEST_BIG_ROWS
from workdata_tests.crash_harness import REPO, environment
from workdata_tests.servers import free_port, graphql, server, wait_for

CHROMIUM = Path("/usr/bin/chromium")
# As root in a sandbox with no outside network: no setuid sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOMAIN = "annuity_performance"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium); `./dev test` installs it when it runs "
    "as root with apt-get",
)


@pytest.fixture
def page(tmp_path):
    """A page of a fresh headless Chromium, 1400x1000."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKDATA_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


INCOME = "annuity_income"


@dataclass(frozen=True)
class Scenario:
    """The UI's address, the home it serves, the demo's manifest and the CLI's runs by job name."""

    base: str
    home: Path
    demo: list[DemoFile]
    runs: dict[str, dg.DagsterRun]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Iterator[Scenario]:
    """The operator's day, served by `workdata ui` on a free loopback port for both tests: the demo inbox
    ingested by `workdata run` with schema mismatches dead-lettered, then a reference table breaks and a
    new file fails on it (retryable, retry scheduled), then the table is back."""
    tmp_path = tmp_path_factory.mktemp("operator_day")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    references = tmp_path / "reference"
    shutil.copytree(REPO / "workdata" / "domains" / "reference", references)
    policy = '{"annuity_income": {"dead_letter_categories": ["schema_mismatch"]}}'
    env = environment(
        tmp_path,
        DAGSTER_HOME=str(home),
        WORKDATA_SETTLE_SECONDS="0",
        WORKDATA_POLICIES=policy,
        WORKDATA_REFERENCE_DIR=str(references),
        WORKDATA_RETRY='{"base_seconds": 3600, "cap_seconds": 3600}',
    )
    demo = write_demo(tmp_path / "inbox", big_rows=TEST_BIG_ROWS)
    cli = [sys.executable, "-m", "workdata.cli"]
    # Exit code 3: the session ended PARTIAL (the demo plants broken files and bad rows).
    assert subprocess.run([*cli, "run"], cwd=REPO, env=env, capture_output=True).returncode == 3
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        runs = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))).get_runs()
    (references / "plans.csv").rename(references / "plans.csv.away")  # the dependency goes down
    late = tmp_path / "inbox" / INCOME / "income_2025-04.csv"
    shutil.copyfile(tmp_path / "inbox" / INCOME / "income_2024-07.csv", late)
    late.write_text(late.read_text().replace("2024-07", "2025-04"))
    subprocess.run([*cli, "run"], cwd=REPO, env=env, capture_output=True, check=False)
    (references / "plans.csv.away").rename(references / "plans.csv")  # and comes back
    port = free_port()
    with server([*cli, "ui", "--port", str(port)], env):
        wait_for(lambda: graphql(port, "{ version }"), timeout=120)
        # The first visit of a new instance opens a newsletter dialog over the page; mark it seen.
        graphql(port, "mutation { setNuxSeen }")
        yield Scenario(f"http://127.0.0.1:{port}", tmp_path, demo, {r.job_name: r for r in runs})


def test_operator_sees_partitions_outcome_report_and_sensors(scenario, page, shots):
    from playwright.sync_api import expect

    base, demo, runs = scenario.base, scenario.demo, scenario.runs
    mine = [f for f in demo if f.domain == DOMAIN]
    failed = sum(f.status == FileStatus.FAILED for f in mine)

    page.goto(f"{base}/assets/{DOMAIN}?view=partitions")
    expect(page.get_by_text(f"Failed ({failed})")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(f"Materialized ({len(mine) - failed})")).to_be_visible()
    broken = next(f.key for f in mine if f.status == FileStatus.FAILED)
    page.get_by_text(broken).first.click()
    expect(page.get_by_text("failed, and did not materialize this asset")).to_be_visible(timeout=30_000)
    page.screenshot(path=shots / "asset-partitions.png")

    page.goto(f"{base}/runs")
    expect(page.get_by_text("workdata/outcome: PARTIAL").first).to_be_visible(timeout=60_000)
    assert page.get_by_text("workdata/outcome: PARTIAL").count() == 2
    page.screenshot(path=shots / "runs.png")

    page.goto(f"{base}/runs/{runs[f'ingest_{DOMAIN}'].run_id}")
    search = page.get_by_placeholder("Filter…")
    search.fill("workdata outcome")
    search.press("Enter")
    expect(page.get_by_text(f"workdata outcome PARTIAL: Processed {len(mine)} files")).to_be_visible(
        timeout=60_000
    )
    page.screenshot(path=shots / "run-outcome.png")
    page.get_by_text("[Show Markdown]").first.click()
    report = page.get_by_role("dialog")
    expect(report).to_contain_text(broken, timeout=30_000)
    expect(report).to_contain_text("retry")
    page.screenshot(path=shots / "failure-report.png")

    page.goto(f"{base}/automation")
    for sensor in ("inbox_sensor", "retry_sensor", "run_outcome_sensor"):
        expect(page.get_by_text(sensor, exact=True)).to_be_visible(timeout=60_000)
    page.screenshot(path=shots / "sensors.png")


def test_operator_answers_what_failed_why_when_which_rows_and_acts_in_three_clicks(scenario, page, shots):
    from playwright.sync_api import expect

    from workdata.app import open_store
    from workdata.core.settings import WorkdataSettings

    base, home = scenario.base, scenario.home
    store = open_store(WorkdataSettings(home=home, logs_dir=home / "logs"))
    late = store.get_state(INCOME, "income_2025-04.csv")
    assert (late["status"], late["error_category"], late["retryable"]) == ("FAILED", "connectivity", True)

    # (a) which files failed, (b) why, (c) whether and when they are retried, (d) what to do:
    # asset page -> Checks (1) -> failing_files (2).
    page.goto(f"{base}/assets/{INCOME}")
    page.get_by_role("tab", name="Checks").click()
    page.get_by_text("failing_files", exact=True).first.click()
    expect(page.get_by_text("income_2025-04.csv").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("The reference table 'plans' could not be read").first).to_be_visible()
    due = late["next_retry_at"].isoformat(timespec="seconds")[:16]  # to the minute, as stored
    expect(page.get_by_text(due).first).to_be_visible()
    expect(
        page.get_by_text("workdata release annuity_income/broken/income_missing_column.csv").first
    ).to_be_visible()
    expect(page.get_by_text("The file is empty; it holds no header and no rows.").first).to_be_visible()
    page.screenshot(path=shots / "failing-files.png", full_page=True)

    # (d) act on a file: the same page -> the file's link (3) opens the release job's Launchpad filled in
    # for that file; launching it releases the file.
    dead = "broken/income_missing_column.csv"
    link = page.locator("a[href*='/guess/release_file/']").first
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as opened:
            link.click()
        launchpad = opened.value
    else:
        link.click()
        launchpad = page
    expect(launchpad.get_by_text("income_missing_column.csv").first).to_be_visible(timeout=60_000)
    launchpad.screenshot(path=shots / "release-launchpad.png")
    launchpad.get_by_role("button", name="Launch Run").click()
    wait_for(lambda: store.get_state(INCOME, dead)["status"] == "PENDING", timeout=120)

    # (e) which rows of a partial file were rejected: asset page -> Partitions (1) -> the file (2).
    partial = "income_2024-10_dirty.csv"
    records = store.failed_records(source_file=partial).sort_values(["row_index", "error_type"])
    page.goto(f"{base}/assets/{INCOME}")
    page.get_by_role("tab", name="Partitions").click()
    page.get_by_text(partial).first.click()
    expect(page.get_by_text("first_rejected_rows")).to_be_visible(timeout=60_000)
    first = records.iloc[0]
    expect(page.get_by_text(str(first["check"])).first).to_be_visible()
    expect(page.get_by_role("cell", name=str(int(first["row_index"])), exact=True).first).to_be_visible()
    page.screenshot(path=shots / "rejected-rows.png")
