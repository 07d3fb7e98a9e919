"""Fault injection for crash tests: WORKDATA_FAULT=<point>[:<file substring>] kills the process there.

Read when a checkpoint is reached (never at import), so a test sets it for one subprocess only.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_read", "mid_commit", "after_commit", "run_status")


def checkpoint(point: str, key: str = "") -> None:
    """SIGKILL this process if WORKDATA_FAULT names this point (and, when given, a part of `key`)."""
    wanted = os.environ.get("WORKDATA_FAULT")
    if not wanted:
        return
    name, _, match = wanted.partition(":")
    if name == point and match in key:
        os.kill(os.getpid(), signal.SIGKILL)
