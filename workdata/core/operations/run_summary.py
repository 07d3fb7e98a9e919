"""A run's honest outcome (SUCCESS / PARTIAL / FAILED) and its summary, computed from the ledger."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd

from workdata.core.operations.report import md_cell
from workdata.core.records import ErrorCategory

# The statuses of files that ended without their rows loaded, dead letters included.
FAILED_STATUSES = ("FAILED", "DEAD_LETTER")
NOT_REACHED = "The run stopped before this file was processed; it will be retried."


@dataclass(frozen=True)
class TopError:
    """One failed file as the summary shows it: why, whether and when it is retried."""

    domain: str
    file_path: str
    category: str
    message: str
    status: str = "FAILED"
    retryable: bool = False
    next_retry_at: str | None = None  # ISO-8601 UTC, for a retryable file


# The run report lists every failed file up to this many (a run holds at most run_batch_size files).
REPORT_FILES = 500


@dataclass(frozen=True)
class RunSummary:
    """docs/DESIGN.md section 3's run summary."""

    run_id: str
    session_id: str | None
    status: str
    files_success: int = 0
    files_partial: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    files_dead_letter: int = 0
    rows_total: int = 0
    rows_loaded: int = 0
    rows_failed: int = 0
    rows_dropped: int = 0
    top_errors: tuple[TopError, ...] = field(default=())
    retryable_failed: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # A workbook's sheets not read: (domain, file, sheet, why).
    skipped_sheets: tuple[tuple[str, str, str, str], ...] = field(default=())

    @property
    def files(self) -> int:
        """Files the run was responsible for."""
        return (
            self.files_success
            + self.files_partial
            + self.files_failed
            + self.files_skipped
            + self.files_dead_letter
        )

    def as_row(self) -> dict:
        """Column values of the run_summaries table."""
        row = asdict(self)
        row["top_errors"] = json.dumps([asdict(e) for e in self.top_errors], ensure_ascii=False)
        return row


def overall_status(success: int, partial: int, failed: int, skipped: int, dead_letter: int = 0) -> str:
    """SUCCESS when nothing failed, was dead-lettered or partial; FAILED when every file failed (a dead
    letter is a failed file); PARTIAL otherwise."""
    failed += dead_letter
    if failed == 0 and partial == 0:
        return "SUCCESS"
    if failed and success == partial == skipped == 0:
        return "FAILED"
    return "PARTIAL"


def summarize(
    run_id: str,
    session_id: str | None,
    attempts: pd.DataFrame,
    expected: list[tuple[str, str]],
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    top_n: int = REPORT_FILES,
) -> RunSummary:
    """Summary of the latest attempt of every file; expected files never attempted count as failed."""
    latest = attempts.drop_duplicates(["domain", "file_path"], keep="last")
    seen = set(zip(latest["domain"], latest["file_path"], strict=True))
    missing = pd.DataFrame(
        [
            {
                "domain": d,
                "file_path": f,
                "status": "FAILED",
                "error_category": str(ErrorCategory.UNKNOWN),
                "retryable": True,
                "user_message": NOT_REACHED,
                "rows_total": 0,
                "rows_loaded": 0,
                "rows_failed": 0,
                "rows_dropped": 0,
            }
            for d, f in expected
            if (d, f) not in seen
        ]
    )
    files = pd.concat([latest, missing], ignore_index=True) if len(missing) else latest
    if len(files):
        # A known-bad file skipped by this run (not retried) still stands failed: it counts as failed.
        still_failed = (files["status"] == "SKIPPED") & files["error_category"].notna()
        files = files.assign(status=files["status"].mask(still_failed, "FAILED"))
    counts = files["status"].value_counts().to_dict() if len(files) else {}
    failed = files[files["status"].isin(FAILED_STATUSES)] if len(files) else files
    top = tuple(sorted((_top_error(r) for r in failed.itertuples()), key=_retry_order)[:top_n])
    # A skipped file's rows were loaded by an earlier run: this run loaded none of them.
    worked = files[files["status"] != "SKIPPED"] if len(files) else files
    n = {s: int(counts.get(s, 0)) for s in ("SUCCESS", "PARTIAL", "FAILED", "SKIPPED", "DEAD_LETTER")}
    return RunSummary(
        run_id=run_id,
        session_id=session_id,
        status=overall_status(n["SUCCESS"], n["PARTIAL"], n["FAILED"], n["SKIPPED"], n["DEAD_LETTER"]),
        files_success=n["SUCCESS"],
        files_partial=n["PARTIAL"],
        files_failed=n["FAILED"],
        files_skipped=n["SKIPPED"],
        files_dead_letter=n["DEAD_LETTER"],
        rows_total=_sum(worked, "rows_total"),
        rows_loaded=_sum(worked, "rows_loaded"),
        rows_failed=_sum(worked, "rows_failed"),
        rows_dropped=_sum(worked, "rows_dropped"),
        top_errors=top,
        retryable_failed=int(failed["retryable"].fillna(False).astype(bool).sum()) if len(failed) else 0,
        started_at=started_at,
        finished_at=finished_at,
        skipped_sheets=_skipped_sheets(worked),
    )


def _skipped_sheets(files: pd.DataFrame) -> tuple[tuple[str, str, str, str], ...]:
    if "sheets_skipped" not in files or not len(files):
        return ()
    return tuple(
        (str(row.domain), str(row.file_path), str(sheet), str(why))
        for row in files.itertuples()
        if isinstance(row.sheets_skipped, str)
        for sheet, why in json.loads(row.sheets_skipped)
    )


def _top_error(row) -> TopError:
    retryable = False if pd.isna(row.retryable) else bool(row.retryable)
    when = getattr(row, "next_retry_at", None)
    due = pd.Timestamp(when).isoformat(timespec="seconds") if retryable and not pd.isna(when) else None
    return TopError(
        row.domain, row.file_path, str(row.error_category), str(row.user_message), row.status, retryable, due
    )


def _retry_order(error: TopError) -> tuple:
    # Retryable files first (what happens next to them is scheduled), soonest first; then the rest.
    return (not error.retryable, error.next_retry_at or "", error.domain, error.file_path)


def _sum(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].fillna(0).sum()) if len(frame) and column in frame else 0


def summary_line(summary: RunSummary) -> str:
    """'Processed 500 files: 495 loaded, 3 partial, 2 failed' (plus dead-lettered and skipped when any)."""
    line = (
        f"Processed {summary.files} files: {summary.files_success} loaded, "
        f"{summary.files_partial} partial, {summary.files_failed} failed"
    )
    if summary.files_dead_letter:
        line += f", {summary.files_dead_letter} dead-lettered"
    return line + (f", {summary.files_skipped} skipped" if summary.files_skipped else "")


def _next_retry(error: TopError) -> str:
    if error.status == "DEAD_LETTER":
        return "dead letter: release it"
    if not error.retryable:
        return "not retried: fix the file"
    return error.next_retry_at or "due now"


def summary_markdown(summary: RunSummary) -> str:
    """The run report: status, counts, rows, failure table and retry stats."""
    failed = summary.files_failed + summary.files_dead_letter
    rows = (
        f"Rows: {summary.rows_loaded:,} loaded, {summary.rows_failed:,} captured in the failure log "
        f"(session `{summary.session_id}`)"
        if summary.rows_failed
        else f"Rows: {summary.rows_loaded:,} loaded, none rejected"
    )
    if summary.rows_dropped:
        rows += f"; {summary.rows_dropped:,} dropped as not data (blank, totals or repeated header rows)"
    lines = [
        f"**Outcome: {summary.status}** — {summary_line(summary)}.",
        "",
        rows + ".",
        "",
        f"Retry: {summary.retryable_failed} of {failed} failed file(s) are retryable; "
        f"{failed - summary.retryable_failed} need a fixed file"
        + (
            f" ({summary.files_dead_letter} dead-lettered: release them once fixed)."
            if summary.files_dead_letter
            else "."
        ),
    ]
    if summary.top_errors:
        lines += [
            "",
            "| domain | file | status | category | next retry | message |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {e.domain} | {md_cell(e.file_path)} | {e.status} | {e.category} | {_next_retry(e)} | "
            f"{md_cell(e.message, limit=400)} |"
            for e in summary.top_errors
        ]
        if failed > len(summary.top_errors):
            lines.append(f"\n…and {failed - len(summary.top_errors)} more failed file(s).")
    if summary.skipped_sheets:
        lines += ["", "Sheets not read:"]
        lines += [
            f"- {d}/{md_cell(f)}, sheet {md_cell(sheet)}: {md_cell(why)}"
            for d, f, sheet, why in summary.skipped_sheets
        ]
    return "\n".join(lines)
