"""Replay failed rows: re-validate stored raw rows against today's schema and references, load those
that now pass (atomically per file, never twice), mark them replayed; the rest stay failed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workdata.core.domain import Domain
from workdata.core.engine.read.raw_table import ROW_INDEX
from workdata.core.engine.validate.validator import validate
from workdata.core.lineage import SHEET_ROWS, with_lineage
from workdata.core.session import utc_now
from workdata.core.storage.schema import quote_identifier
from workdata.core.storage.store import Store

_CANDIDATES = """
SELECT f.source_file, f.session_id, f.file_hash, f.row_index, min(f.raw_data) AS raw_data
FROM failed_records f JOIN file_state s
  ON s.domain = f.domain AND s.file_path = f.source_file AND s.session_id = f.session_id
 AND s.file_hash = f.file_hash
WHERE f.domain = ? AND f.replayed_at IS NULL
  AND f.error_type NOT IN ('MALFORMED_ROW', 'DROPPED_IN_PIPELINE')
  AND s.status IN ('SUCCESS', 'PARTIAL') {extra}
GROUP BY f.source_file, f.session_id, f.file_hash, f.row_index ORDER BY f.source_file, f.row_index
"""


@dataclass(frozen=True)
class ReplayResult:
    """What one file's replay did."""

    domain: str
    file_path: str
    candidates: int
    loaded: int


def replay(
    store: Store,
    domain: Domain,
    reference_dir: Path | None,
    run_id: str,
    *,
    session_id: str | None = None,
    error_type: str | None = None,
) -> list[ReplayResult]:
    """Replay the failed rows of `domain` (optionally one session / error type) file by file."""
    filters = {"f.session_id": session_id, "f.error_type": error_type}
    extra = "".join(f" AND {k} = ?" for k, v in filters.items() if v is not None)
    with store.connect() as conn:
        candidates = conn.execute(
            _CANDIDATES.format(extra=extra), [domain.name, *(v for v in filters.values() if v is not None)]
        ).df()
    return [
        _replay_file(store, domain, reference_dir, run_id, rows)
        for _, rows in candidates.groupby("source_file", sort=True)
    ]


def _replay_file(
    store: Store, domain: Domain, reference_dir: Path | None, run_id: str, rows: pd.DataFrame
) -> ReplayResult:
    file_path, session_id, file_hash = rows.iloc[0][["source_file", "session_id", "file_hash"]]
    raw = pd.DataFrame([json.loads(text) for text in rows["raw_data"]], dtype="str").fillna("")
    raw.index = pd.Index(rows["row_index"].astype("int64").to_numpy(), name=ROW_INDEX)
    good = validate(domain, raw, reference_dir).good
    table = quote_identifier(domain.name)
    with store.connect() as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            good = _without_loaded_keys(conn, table, domain, file_path, good)
            if len(good):
                lineage = with_lineage(good, file_path, file_hash, run_id, _sheets(raw))
                conn.insert_arrow(table, lineage)
                _mark_replayed(conn, domain.name, file_path, session_id, list(good.index))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return ReplayResult(domain.name, file_path, len(rows), len(good))


def _without_loaded_keys(
    conn, table: str, domain: Domain, file_path: str, good: pd.DataFrame
) -> pd.DataFrame:
    # A replayed row may not duplicate a business key the file already has in the warehouse.
    key = domain.business_key
    if not key or good.empty:
        return good
    columns = ", ".join(quote_identifier(k) for k in key)
    loaded = conn.execute(f"SELECT {columns} FROM {table} WHERE _source_file = ?", [file_path]).df()
    candidates = good.drop_duplicates(subset=key, keep="first")
    clash = candidates[key].merge(loaded.astype(candidates[key].dtypes.to_dict()), how="left", indicator=True)
    return candidates[(clash["_merge"] == "left_only").to_numpy()]


def _sheets(raw: pd.DataFrame) -> tuple[str, ...]:
    # A workbook's rows carry their sheet in their raw data (its k-th data sheet's rows from k * SHEET_ROWS).
    if "_sheet" not in raw:
        return ()
    names = dict(zip(raw.index // SHEET_ROWS, raw["_sheet"], strict=True))
    return tuple(names.get(k, "") for k in range(max(names) + 1)) if names else ()


def _mark_replayed(conn, domain: str, file_path: str, session_id: str, row_indices: list[int]) -> None:
    placeholders = ", ".join("?" * len(row_indices))
    conn.execute(
        f"UPDATE failed_records SET replayed_at = ? WHERE domain = ? AND source_file = ? AND session_id = ? "
        f"AND row_index IN ({placeholders})",
        [utc_now(), domain, file_path, session_id, *row_indices],
    )
    remaining = conn.execute(
        "SELECT count(DISTINCT row_index) FROM failed_records WHERE domain = ? AND source_file = ? "
        "AND session_id = ? AND replayed_at IS NULL AND error_type <> 'DROPPED_IN_PIPELINE'",
        [domain, file_path, session_id],
    ).fetchone()[0]
    conn.execute(
        "UPDATE file_state SET rows_loaded = rows_loaded + ?, rows_failed = ?, "
        "status = CASE WHEN ? = 0 THEN 'SUCCESS' ELSE status END WHERE domain = ? AND file_path = ?",
        [len(row_indices), remaining, remaining, domain, file_path],
    )
