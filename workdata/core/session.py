"""Session ids (`etl_{YYYYMMDD_HHMMSS}_{6 hex}`) and UTC timestamps."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

SESSION_TAG = "workdata/session_id"
_SESSION_RE = re.compile(r"^etl_\d{8}_\d{6}_[0-9a-f]{6}$")


def utc_now() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime | None = None) -> str:
    """ISO-8601 UTC timestamp with seconds precision."""
    return (moment or utc_now()).astimezone(UTC).isoformat(timespec="seconds")


def new_session_id(moment: datetime | None = None, suffix: str | None = None) -> str:
    """A fresh session id; `suffix` (6 hex) makes it deterministic, e.g. from a run id."""
    stamp = (moment or utc_now()).astimezone(UTC).strftime("%Y%m%d_%H%M%S")
    return f"etl_{stamp}_{(suffix or secrets.token_hex(3))[:6].lower()}"


def is_session_id(value: str) -> bool:
    """True when `value` has the session id shape; guards paths built from it."""
    return bool(_SESSION_RE.match(value))
