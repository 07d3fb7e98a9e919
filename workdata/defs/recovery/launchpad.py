"""Links that open a recovery job's Launchpad already filled in for one file: one click to the action."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import yaml

# The UI's /guess/<job>/... route finds the code location that holds the job, so the link works whatever
# the location is called; /playground/setup?config=... starts a Launchpad session with that run config.
_SETUP = "/guess/{job}/playground/setup?{query}"


def action_link(domain: str, state: dict) -> tuple[str, str] | None:
    """(label, Launchpad link) of the one-click action on a failed file, or None when only a fix helps."""
    file_path = str(state["file_path"])
    if state["status"] == "DEAD_LETTER":
        return "release", _link("release_file", "release_dead_letter", domain, file_path)
    if state["retryable"]:
        return "retry now", _link("retry_failed_files", "make_failed_files_due", domain, file_path)
    return None


def _link(job: str, op: str, domain: str, file_path: str) -> str:
    # safe_dump quotes whatever a hostile file name holds; urlencode escapes it for the URL.
    config = yaml.safe_dump({"ops": {op: {"config": {"domain": domain, "file": file_path}}}}, sort_keys=False)
    return _SETUP.format(job=job, query=urlencode({"config": config}, quote_via=quote))
