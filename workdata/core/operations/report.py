"""Plain-text and Markdown renderings of file outcomes, for metadata, failures and the CLI."""

from __future__ import annotations

from collections.abc import Iterable

from workdata.core.outcome import FileOutcome


def md_cell(text: object, limit: int = 160) -> str:
    """Text safe inside one Markdown table cell; a long one is cut at a word, never mid-word."""
    flat = str(text).replace("|", "\\|").replace("\n", " ")
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def reasons_markdown(outcome: FileOutcome) -> str:
    """Top failure reasons of one file as a Markdown table."""
    if not outcome.top_reasons:
        return "No failed rows."
    lines = ["| reason | rows |", "| --- | ---: |"]
    lines += [f"| {md_cell(reason)} | {count} |" for reason, count in outcome.top_reasons]
    return "\n".join(lines)


def failed_files_markdown(outcomes: Iterable[FileOutcome]) -> str:
    """Failed files with category, retryability and the user message, as a Markdown table."""
    lines = ["| file | category | retryable | message |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {md_cell(o.file_path)} | {o.error_category} | {'yes' if o.retryable else 'no'} | "
        f"{md_cell(o.user_message)} |"
        for o in outcomes
    ]
    return "\n".join(lines)


def failure_summary(outcomes: list[FileOutcome]) -> str:
    """One or two plain sentences naming the failed files."""
    names = ", ".join(o.file_path for o in outcomes[:5])
    more = f" and {len(outcomes) - 5} more" if len(outcomes) > 5 else ""
    return (
        f"{len(outcomes)} file(s) failed: {names}{more}. "
        "Each file's reason is in the table below and in the file_state ledger."
    )
