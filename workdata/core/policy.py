"""Per-domain configuration (not code): business policy (read mode, bad-row thresholds, key policy, dead
letters) apart from reader settings, and the decision a file's rows get under it."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workdata.core.records import ErrorCategory, FileStatus


class ReadMode(StrEnum):
    """permissive loads the good rows of a file; failfast loads nothing from a file with a bad row."""

    PERMISSIVE = "permissive"
    FAILFAST = "failfast"


class KeyPolicy(StrEnum):
    """A business key already loaded from another file of the domain: reject the newer row (the first file
    keeps it), or let the newer file replace those rows (the older file's ledger counts them superseded)."""

    REJECT = "reject"
    REPLACE = "replace"


class ReaderSettings(BaseModel):
    """How a domain's files are read: workbook layout, decompression cap and the engine's block sizes
    (WORKDATA_POLICIES='{"<domain>": {"read": {...}}}'); none of it changes what a file's rows mean."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Workbooks: the sheet (first name matching the pattern, else the 0-based index, else the sheet whose
    # header names the most known columns) and its header row (1-based; None = detect it).
    sheet_pattern: str | None = None
    sheet_index: int | None = Field(None, ge=0)
    header_row: int | None = Field(None, ge=1)
    # Rows whose first cells hold one of these (whole, any case; "合计：", "Total (March)") are totals or
    # subtotals, not data: dropped as DROPPED_IN_PIPELINE records, counted, never validated.
    total_markers: tuple[str, ...] = (
        "合计",
        "小计",
        "总计",
        "合計",
        "小計",
        "總計",
        "total",
        "subtotal",
        "sub-total",
        "grand total",
        "totals",
    )
    # Text encodings a CSV may be in, in order of preference: UTF-8 (with or without BOM) first is the fast
    # path; UTF-16 is told by its BOM; others are tried when the bytes are not UTF-8 (docs/DESIGN.md).
    encodings: tuple[str, ...] = ("utf-8", "utf-16", "gb18030")
    # Compressed files (.gz, .zip) are refused when they expand beyond this.
    max_decompressed_mb: int = Field(1024, ge=1)
    # CSV files of at least this size are read, validated and staged in blocks (memory bounded by a
    # block); the file still commits whole. The sizes are chosen in benchmarks/README.md ("memory").
    stream_over_mb: float = Field(64, ge=0)
    stream_block_mb: float = Field(1, gt=0)
    stream_batch_rows: int = Field(75_000, ge=1)  # rows validated together (several blocks)

    @field_validator("encodings")
    @classmethod
    def _known_encodings(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if not names:
            raise ValueError("encodings must name at least one text encoding, e.g. ['utf-8', 'gb18030']")
        canonical = []
        for name in names:
            try:
                canonical.append(codecs.lookup(name).name)
            except LookupError as exc:
                raise ValueError(
                    f"'{name}' is not a text encoding Python knows (e.g. utf-8, gb18030, utf-16)"
                ) from exc
        return tuple(dict.fromkeys(canonical))


class DomainPolicy(BaseModel):
    """How much bad data a domain tolerates in one file, and how its files are read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: ReadMode = ReadMode.PERMISSIVE
    warn_bad_row_ratio: float = Field(0.01, ge=0, le=1)
    max_bad_row_ratio: float = Field(0.25, ge=0, le=1)
    key_policy: KeyPolicy = KeyPolicy.REJECT
    # Non-retryable categories that send a file straight to the dead letter (e.g. schema_mismatch).
    dead_letter_categories: tuple[ErrorCategory, ...] = ()
    # Skip files whose content is already known bad (FAILED or DEAD_LETTER under any name).
    skip_failed: bool = False
    # How its files are read (workbook layout, decompression cap, block sizes): the engine's concern.
    read: ReaderSettings = Field(default_factory=ReaderSettings)

    @model_validator(mode="after")
    def _ordered(self) -> DomainPolicy:
        if self.warn_bad_row_ratio > self.max_bad_row_ratio:
            raise ValueError("warn_bad_row_ratio must not exceed max_bad_row_ratio")
        return self


@dataclass(frozen=True)
class Decision:
    """The outcome of one file's rows under a policy; `reason` is set when the file is rejected."""

    status: FileStatus
    ratio: float
    warn: bool
    reason: str | None = None


def decide(policy: DomainPolicy, total: int, failed: int, first_reason: str = "") -> Decision:
    """SUCCESS without bad rows; FAILED (nothing loaded) without data rows, in failfast or above the max;
    else PARTIAL. `total` counts the rows judged (not those dropped on purpose)."""
    ratio = failed / total if total else 0.0
    warn = ratio > policy.warn_bad_row_ratio
    if total == 0:
        return Decision(
            FileStatus.FAILED,
            ratio,
            warn,
            "The file holds no data rows: every row is blank, a totals row or a repeated header; "
            "nothing was loaded.",
        )
    if failed == 0:
        return Decision(FileStatus.SUCCESS, ratio, warn)
    if policy.mode == ReadMode.FAILFAST:
        return Decision(
            FileStatus.FAILED,
            ratio,
            warn,
            f"In failfast mode one bad row rejects the file ({first_reason}); nothing was "
            "loaded. Fix the rows listed in the failure log and drop the file again.",
        )
    if failed == total or ratio > policy.max_bad_row_ratio:
        return Decision(
            FileStatus.FAILED,
            ratio,
            warn,
            f"{ratio:.1%} of rows failed validation, above this domain's limit of "
            f"{policy.max_bad_row_ratio:.1%}; nothing was loaded. The failure log lists every bad row.",
        )
    return Decision(FileStatus.PARTIAL, ratio, warn)
