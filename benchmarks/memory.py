"""Peak RSS of workdata's full path for one file, in a fresh process (run by run_all.py).

Run: .venv/bin/python benchmarks/memory.py <file.csv>
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from workdata.app import open_store
from workdata.core.ingest_context import Ingest
from workdata.core.outcome import RunContext
from workdata.core.pipeline import process_file
from workdata.core.settings import WorkdataSettings
from workdata.domains import DOMAINS


def peak_mb() -> float:
    """This process's peak resident set so far, in MB."""
    # VmHWM belongs to this address space: Linux keeps ru_maxrss across exec, so a child of a big
    # parent (run_all.py after the speed section) would report the parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(path: Path) -> None:
    with tempfile.TemporaryDirectory() as name:
        settings = WorkdataSettings(home=Path(name), logs_dir=Path(name) / "logs")
        store = open_store(settings)
        run = RunContext("etl_20241130_101500_00beef")
        ingest = Ingest(store, run, Path(name) / "log.csv")
        before = peak_mb()
        started = time.perf_counter()
        outcome = process_file(DOMAINS["annuity_performance"], path, path.name, ingest)
        seconds = time.perf_counter() - started
        peak = peak_mb()
        # The imports' share moves with the machine's state (shared libraries mapped in 2 MB pages or
        # not: 189-231 MB seen on the same code), so the file's own share is printed as well.
        print(
            f"{path.stat().st_size / 1e6:,.0f} MB: peak RSS {peak:,.0f} MB (imports alone {before:,.0f} MB, "
            f"the file {peak - before:,.0f} MB), {seconds:.1f}s, {outcome.rows_total:,} rows, "
            f"{outcome.status}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
