"""Claims of one ingestion per file at a time on the PostgreSQL store's server, across real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from workdata.core.storage.claims import ServerClaims
from workdata.core.storage.postgres_connection import postgres_connector
from workdata_tests.pg import fresh_schema

HOLDER = textwrap.dedent(
    """
    import sys, time
    from workdata.core.storage.claims import ServerClaims
    from workdata.core.storage.postgres_connection import postgres_connector
    held, busy = ServerClaims(postgres_connector(sys.argv[1])).take("annuity_income", ["a.csv", "b.csv"])
    print(sorted(held), busy, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def url():
    with fresh_schema() as url:
        yield url


def test_a_file_claimed_by_another_process_is_busy_until_that_process_dies(url):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert holder.stdout.readline().strip() == "['a.csv', 'b.csv'] []"
        claims = ServerClaims(postgres_connector(url))
        held, busy = claims.take("annuity_income", ["a.csv", "c.csv"])
        assert (sorted(held), busy) == (["c.csv"], ["a.csv"])
        for claim in held.values():
            claim.release()
        os.killpg(holder.pid, signal.SIGKILL)  # as a worker is killed: its connection closes, its locks go
        holder.wait()
        for _ in range(50):  # the server notices the closed connection at once, or within moments
            held, busy = claims.take("annuity_income", ["a.csv", "b.csv"])
            if not busy:
                break
            for claim in held.values():
                claim.release()
        assert (sorted(held), busy) == (["a.csv", "b.csv"], [])
        for claim in held.values():
            claim.release()
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)


def test_claims_of_two_stores_on_one_server_do_not_meet(url):
    with fresh_schema() as other:
        mine = ServerClaims(postgres_connector(url)).take("annuity_income", ["a.csv"])[0]
        theirs, busy = ServerClaims(postgres_connector(other)).take("annuity_income", ["a.csv"])
        assert list(theirs) == ["a.csv"] and busy == []
        for claim in [*mine.values(), *theirs.values()]:
            claim.release()


def test_a_claim_excludes_another_take_in_the_same_process_until_released(url):
    claims = ServerClaims(postgres_connector(url))
    held, _ = claims.take("annuity_income", ["a.csv"])
    again, busy = claims.take("annuity_income", ["a.csv"])  # each take is its own server session
    assert (list(again), busy) == ([], ["a.csv"])
    for claim in held.values():
        claim.release()
    held, busy = claims.take("annuity_income", ["a.csv"])
    assert (list(held), busy) == (["a.csv"], [])
    for claim in held.values():
        claim.release()
