"""The whole demo inbox: generated domain files (clean, dirty, broken), real-world and business shapes."""

from __future__ import annotations

from pathlib import Path

from workdata.demo.business_files import write_business_files
from workdata.demo.files import DEFAULT_SEED, DemoFile, write_domain
from workdata.demo.realworld import write_realworld
from workdata.demo.rows import SPECS


def write_demo(inbox: Path, seed: int = DEFAULT_SEED, big_rows: int = 20_000) -> list[DemoFile]:
    """The whole demo inbox for both demo domains; the same bytes for the same seed."""
    return (
        write_realworld(inbox, seed)
        + write_business_files(inbox, seed)
        + [
            f
            for domain in SPECS
            for f in write_domain(
                inbox, domain, seed, big_rows if domain == "annuity_performance" else big_rows // 4
            )
        ]
    )
