"""Recovery waits once: a successful probe lets the rest of its run through, an operator's retry probes at
once, and no state ever reads "open until" a time already past."""

from __future__ import annotations

from datetime import timedelta

from workdata.core.ingest_context import ingest_for
from workdata.core.pipeline import process_files
from workdata.core.records import FileStatus
from workdata.core.session import utc_now
from workdata.core.storage.circuit import CLOSED, HALF_OPEN, OPEN, Circuit, circuit_breakers
from workdata.demo.files import make_rows, write_csv
from workdata.domains import DOMAINS

INCOME = DOMAINS["annuity_income"]


def _files(settings, count: int) -> list[str]:
    keys = [f"m{n}.csv" for n in range(count)]
    for n, key in enumerate(keys):
        write_csv(settings.inbox_dir / INCOME.name / key, make_rows(INCOME.name, n, f"{2001 + n}-07", 30))
    return keys


def _open(settings, minutes: float) -> None:
    until = (utc_now() + timedelta(minutes=minutes)).isoformat()
    circuit_breakers(settings)._write({"reference:plans": Circuit(state=OPEN, failures=3, retry_at=until)})


def test_after_a_good_probe_the_rest_of_the_run_loads(settings, store, run):
    keys = _files(settings, 4)
    _open(settings, minutes=-1)  # the cool-down is over: the first file probes
    outcomes = list(process_files(INCOME, keys, settings.inbox_dir, ingest_for(settings, INCOME, store, run)))
    assert [o.status for o in outcomes] == [FileStatus.SUCCESS] * 4
    assert circuit_breakers(settings).states()["reference:plans"].state == CLOSED


def test_an_operators_retry_probes_an_open_circuit_at_once(settings, store, run):
    keys = _files(settings, 2)
    _open(settings, minutes=30)
    held = list(process_files(INCOME, keys, settings.inbox_dir, ingest_for(settings, INCOME, store, run)))
    assert {o.status for o in held} == {FileStatus.FAILED} and "unavailable" in held[0].user_message
    retried = ingest_for(settings, INCOME, store, run, retrying=True)
    assert [o.status for o in process_files(INCOME, keys, settings.inbox_dir, retried)] == [
        FileStatus.SUCCESS
    ] * 2


def test_probe_now_ends_the_cool_down_for_the_retry_sensor(settings):
    _open(settings, minutes=30)
    breakers = circuit_breakers(settings)
    assert breakers.probe_now(["reference:plans", "warehouse"]) == ["reference:plans"]
    assert breakers.first_blocked(["reference:plans"]) is None  # this caller is the probe
    assert breakers.states()["reference:plans"].state == HALF_OPEN


def test_no_state_reads_open_until_a_time_past():
    now = utc_now()
    past = (now - timedelta(minutes=10)).isoformat()
    future = (now + timedelta(minutes=10)).isoformat()
    assert Circuit().describe(now) == "closed"
    assert Circuit(OPEN, 3, future).describe(now).startswith("open until ")
    for state in (OPEN, HALF_OPEN):
        assert "until" not in Circuit(state, 3, past).describe(now)
    assert Circuit(HALF_OPEN, 3, future).describe(now).startswith("half-open")


def test_a_probe_that_never_reported_back_lets_a_new_probe_through(settings):
    past = (utc_now() - timedelta(minutes=1)).isoformat()
    circuit_breakers(settings)._write({"warehouse": Circuit(state=HALF_OPEN, failures=3, retry_at=past)})
    assert circuit_breakers(settings).first_blocked(["warehouse"]) is None
