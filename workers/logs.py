"""Structured logs: JSON lines when not on a terminal, readable lines when on one.

Operators grep and ship worker logs, so every line a log aggregator sees is one JSON
object with the same keys; context travels as `extra={...}` (article_id, source, stage,
batch_id, duration_ms, counts) rather than being formatted into the message. At INFO
there is one line per batch, never one per article. Every line passes `redact_text`:
a library that quotes a URL with its password in an error still logs no secret.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any


def redact_text(text: str) -> str:
    """`workers.settings.redact_text`, imported at the first record: every `monitor`
    start installs `RedactingFilter`, and pydantic (under settings) would cost more
    than the rest of `monitor --help`."""
    from workers.settings import redact_text as redact

    return redact(text)


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact_text(json.dumps(entry, ensure_ascii=False, default=str))


class RedactingFilter(logging.Filter):
    """Removes credentials from a record's message before any handler formats it; for
    handlers this module does not format (the CLI's default stderr handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage()), None
        return True


def protect_default_handler() -> None:
    """Redact what Python's last-resort handler prints (warnings in a CLI process that
    configured no logging)."""
    handler = logging.lastResort
    if handler is not None and not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


class ConsoleFormatter(logging.Formatter):
    """Plain text with the structured fields appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return redact_text(text + "".join(f" {k}={v}" for k, v in extra.items()))


def configure(level: str, *, json_output: bool | None = None) -> None:
    """Route the root logger to stderr, as JSON unless stderr is a terminal."""
    if json_output is None:
        json_output = not sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ConsoleFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
