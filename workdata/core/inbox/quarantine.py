"""Quarantine: a dead-lettered file is copied aside with a JSON sidecar saying why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from workdata.core.outcome import FileOutcome


def quarantine(
    root: Path, outcome: FileOutcome, source: Path, session_id: str, first_failure: str | None, attempts: int
) -> Path:
    """Copy `source` to root/<domain>/<session>/<file> and write <file>.json beside it."""
    target = (root / outcome.domain / session_id / outcome.file_path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to quarantine outside {root}: {outcome.file_path!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.exists():
        shutil.copy2(source, target)
    sidecar = {
        "domain": outcome.domain,
        "file_path": outcome.file_path,
        "checksum": outcome.file_hash,
        "category": outcome.error_category and str(outcome.error_category),
        "message": outcome.user_message,
        "attempts": attempts,
        "first_failure": first_failure,
        "last_failure": outcome.error_message,
    }
    target.with_name(target.name + ".json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False))
    return target
