"""logs/workdata.log: one JSON object per line, for the CLI and for runs launched by the daemon alike."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from workdata.core.verdict import OUTCOME_FIELDS

LOG_FILE_NAME = "workdata.log"


class JsonLineFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message (an outcome line's fields merged in)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON; a traceback, when there is one, goes in `trace`."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        line["message"] = record.getMessage()
        fields = getattr(record, OUTCOME_FIELDS, None)
        if isinstance(fields, dict):
            line |= fields
        if record.exc_info:
            line["trace"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _QuietFileHandler(logging.FileHandler):
    """A file handler that, when the disk is full or the file goes away, says so once and stops."""

    def handleError(self, record: logging.LogRecord) -> None:
        """One line on stderr instead of Python's '--- Logging error ---' trace for every record."""
        error = sys.exc_info()[1]
        logger = logging.getLogger("workdata")
        logger.removeHandler(self)
        _console_without_traces(logger)
        try:
            self.close()  # flushes what it holds: on a full disk that fails again
        except OSError:
            self.stream = None
        sys.stderr.write(f"workdata: stopped writing {self.baseFilename} ({error}); see the console.\n")


def attach_log_file(logs_dir: Path) -> str | None:
    """Send the `workdata` loggers to logs_dir/workdata.log (once per process and file); a sentence
    saying why not when the folder cannot be written, else None. Never raises: logs must not stop a load."""
    path = (logs_dir / LOG_FILE_NAME).resolve()
    logger = logging.getLogger("workdata")
    logger.setLevel(logging.INFO)
    if any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        return None
    # One log file per process: a process that runs for several homes (tests, in-process runs) moves on.
    for old in [h for h in logger.handlers if isinstance(h, _QuietFileHandler)]:
        logger.removeHandler(old)
        old.close()
    try:
        logs_dir.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(path, encoding="utf-8")
    except OSError as exc:
        _console_without_traces(logger)
        reason = exc.strerror or exc
        return f"The log folder {logs_dir} cannot be written ({reason}); logging to the console only."
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    return None


class _NoTraceFormatter(logging.Formatter):
    def formatException(self, ei) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        return super().format(record).rstrip()


def _console_without_traces(logger: logging.Logger) -> None:
    # Without the log file, warnings still reach the user, as their one line without a trace.
    if any(isinstance(h.formatter, _NoTraceFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_NoTraceFormatter("%(message)s"))
    logger.addHandler(handler)
