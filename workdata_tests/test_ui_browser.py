"""The operator's day under `workdata ui` (`dagster dev`: webserver and daemon), as an operator lives it:
the demo inbox is ingested by the runs the daemon's inbox sensor launches, the run-outcome sensor tags
each run, the webserver reports the materialized and failed partitions the ledger holds; then, in a real
browser (Debian's headless Chromium driven by Playwright), the operator sees partitions, run outcomes
with their failure report and the sensors, and answers what failed, why, when it is retried, which rows
were rejected, and releases a file. Screenshots go to $WORKDATA_SCREENSHOTS (default: a tmp dir)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from workdata.app import open_store
from workdata.core.records import FileStatus
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.store import Store
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
INCOME = "annuity_income"
LATE = "income_2025-04.csv"  # dropped while the reference table 'plans' is away
QUERY = """{ assetNodes { assetKey { path } partitionStats { numMaterialized numFailed numPartitions } }
  runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }"""


@dataclass(frozen=True)
class Scenario:
    """The UI's address, the store it serves, the demo's manifest, and what the webserver reported once
    the daemon had ingested the demo: partition stats by domain and the runs."""

    base: str
    store: Store
    demo: list[DemoFile]
    stats: dict[str, dict]
    runs: list[dict]


def _tags(run: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Iterator[Scenario]:
    """`workdata ui` over the demo inbox (schema mismatches dead-lettered); once its runs are done and
    tagged, a reference table breaks, a new file dropped in the inbox fails on it (retryable, retry in an
    hour), and the table comes back."""
    tmp_path = tmp_path_factory.mktemp("operator_day")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    references = tmp_path / "reference"
    shutil.copytree(REPO / "workdata" / "domains" / "reference", references)
    env = environment(
        tmp_path,
        DAGSTER_HOME=str(home),
        WORKDATA_SETTLE_SECONDS="0",
        WORKDATA_SENSOR_INTERVAL_SECONDS="5",  # every 30 s when deployed; the test waits less
        WORKDATA_POLICIES='{"annuity_income": {"dead_letter_categories": ["schema_mismatch"]}}',
        WORKDATA_REFERENCE_DIR=str(references),
        WORKDATA_RETRY='{"base_seconds": 3600, "cap_seconds": 3600}',
    )
    demo = write_demo(tmp_path / "inbox", big_rows=TEST_BIG_ROWS)
    store = open_store(WorkdataSettings(home=tmp_path, logs_dir=tmp_path / "logs"))
    port = free_port()
    with server([sys.executable, "-m", "workdata.cli", "ui", "--port", str(port)], env):

        def ingested():
            data = graphql(port, QUERY)
            stats = {node["assetKey"]["path"][0]: node["partitionStats"] for node in data["assetNodes"]}
            expected = {d: sum(f.domain == d for f in demo) for d in stats}
            done = all(s and s["numMaterialized"] + s["numFailed"] == expected[d] for d, s in stats.items())
            runs = data["runsOrError"]["results"]
            tagged = runs and all(r["status"] in ("SUCCESS", "FAILURE") for r in runs)
            # The run-outcome sensor tags each finished run with its honest outcome.
            return (
                (stats, runs)
                if done and tagged and all("workdata/outcome" in _tags(r) for r in runs)
                else None
            )

        stats, runs = wait_for(ingested, timeout=300)
        # The first visit of a new instance opens a newsletter dialog over the page; mark it seen.
        graphql(port, "mutation { setNuxSeen }")

        (references / "plans.csv").rename(references / "plans.csv.away")  # the dependency goes down
        late = tmp_path / "inbox" / INCOME / LATE
        part = late.with_name(late.name + ".part")  # uploaded, then renamed: the sensor takes it whole
        part.write_text(
            (tmp_path / "inbox" / INCOME / "income_2024-07.csv").read_text().replace("2024-07", "2025-04")
        )
        part.rename(late)
        wait_for(lambda: (store.get_state(INCOME, late.name) or {}).get("status") == "FAILED", timeout=240)
        (references / "plans.csv.away").rename(references / "plans.csv")  # and comes back
        yield Scenario(f"http://127.0.0.1:{port}", store, demo, stats, runs)


@pytest.fixture
def page(tmp_path):
    """A page of a fresh headless Chromium, 1400x1000 (skipped when Debian's chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium); `./dev test` installs it when it "
            "runs as root with apt-get"
        )
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


def test_the_daemon_ingests_the_inbox_and_the_webserver_reports_each_partition(scenario):
    for domain, s in scenario.stats.items():
        mine = [f for f in scenario.demo if f.domain == domain]
        failed = sum(f.status == FileStatus.FAILED for f in mine)
        assert (s["numFailed"], s["numMaterialized"]) == (failed, len(mine) - failed), domain
    assert len(scenario.runs) == 2  # one run per domain: the backlog fits one batch
    tags = [_tags(r) for r in scenario.runs]
    assert all(t["workdata/session_id"].startswith("etl_") for t in tags)
    assert [t["workdata/outcome"] for t in tags] == ["PARTIAL", "PARTIAL"]


def test_operator_sees_partitions_outcome_report_and_sensors(scenario, page, shots):
    from playwright.sync_api import expect

    base, demo = scenario.base, scenario.demo
    run_id = next(r["runId"] for r in scenario.runs if r["jobName"] == f"ingest_{DOMAIN}")
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

    page.goto(f"{base}/runs/{run_id}")
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

    base, store = scenario.base, scenario.store
    late = store.get_state(INCOME, LATE)
    assert (late["status"], late["error_category"], late["retryable"]) == ("FAILED", "connectivity", True), (
        late
    )

    # (a) which files failed, (b) why, (c) whether and when they are retried, (d) what to do:
    # asset page -> Checks (1) -> failing_files (2).
    page.goto(f"{base}/assets/{INCOME}")
    page.get_by_role("tab", name="Checks").click()
    page.get_by_text("failing_files", exact=True).first.click()
    expect(page.get_by_text(LATE).first).to_be_visible(timeout=60_000)
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
    before = store.get_state(INCOME, dead)["last_attempt_at"]
    launchpad.get_by_role("button", name="Launch Run").click()

    def released():
        # PENDING, until the inbox sensor's next run takes it again (a dead letter is never retried
        # unless released, so a newer attempt also shows the release).
        state = store.get_state(INCOME, dead)
        return state["status"] == "PENDING" or state["last_attempt_at"] > before

    wait_for(released, timeout=120)

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
