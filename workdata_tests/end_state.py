"""What a store and its session CSVs hold at the end, in a shape two deployments can be compared in: the
ledger, the failed records, the CSV lines and every warehouse table, without run ids, session ids and
times (and across backends: a DATE reads as a date from PostgreSQL, a timestamp from DuckDB)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from workdata.app import open_store
from workdata.core.settings import WorkdataSettings
from workdata.core.storage.failure_csv import read_failures

# What happened to a file (not when, in which run or session).
LEDGER = [
    "domain",
    "file_path",
    "file_hash",
    "status",
    "error_category",
    "retryable",
    "user_message",
    "rows_total",
    "rows_loaded",
    "rows_failed",
    "rows_dropped",
]
RECORD = ["domain", "source_file", "row_index", "error_type", "raw_data", "column", "check", "message"]


def end_state(settings: WorkdataSettings, ledger: list[str] = LEDGER) -> dict[str, pd.DataFrame]:
    """The store of `settings` and the session CSVs in its logs folder, each as a sorted text frame."""
    store = open_store(settings)
    with store.connect() as conn:
        state = {"file_state": conn.execute(f"SELECT {', '.join(ledger)} FROM file_state").df()}
        for name in store.domains:
            table = conn.execute(f'SELECT * FROM "{name}"').df()
            state[name] = table.drop(columns=["_run_id", "_loaded_at"])
    state["failed_records"] = store.failed_records()[RECORD]
    csvs = [read_failures(p) for p in sorted(settings.logs_dir.glob("wdh_etl_failures_*.csv"))]
    state["csv_lines"] = pd.concat(csvs)[RECORD] if csvs else pd.DataFrame(columns=RECORD)
    return {name: _sorted(frame) for name, frame in state.items()}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in frame.columns:
        if frame[name].map(lambda v: isinstance(v, date | datetime | pd.Timestamp)).any():
            frame[name] = pd.to_datetime(frame[name]).dt.strftime("%Y-%m-%d %H:%M:%S")
    frame = frame.astype(object).where(frame.notna(), None).astype(str)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
