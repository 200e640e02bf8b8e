"""Logging: JSON lines on stdout (or text for people), one record per decision, never a secret.

Redaction happens in the formatter, on the final text of each record (message, structured fields and
traceback alike), so no code path can emit a configured secret, whatever it logs: every occurrence of
the configured SK, AK, token or security token is replaced with `***`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

ROOT = "watchdog"
REDACTED = "***"
# LogRecord attributes that are not user fields passed through `extra=`.
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class LogFormat(StrEnum):
    """json for collectors (one object per line), text for a terminal."""

    JSON = "json"
    TEXT = "text"


class Redactor:
    """Replaces every configured secret in a string, longest first (a secret inside another is covered)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's `extra` fields."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(_fields(record))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(doc, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """`HH:MM:SS level message key=value ...` for a terminal."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        extra = " ".join(f"{k}={_text_value(v)}" for k, v in _fields(record).items())
        line = f"{when} {record.levelname.lower():<7} {record.getMessage()}" + (f"  {extra}" if extra else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self._redact(line)


def _text_value(value: object) -> str:
    if isinstance(value, list | tuple):
        return "[" + "; ".join(str(v) for v in value) + "]"
    return str(value)


def setup_logging(
    fmt: LogFormat | str = LogFormat.JSON,
    level: str = "INFO",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send the `watchdog` loggers (and warnings from libraries) to `stream` (stdout) with redaction."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream or sys.stdout)
    formatter = JsonFormatter(redact) if LogFormat(fmt) is LogFormat.JSON else TextFormatter(redact)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries: warnings and up
    logging.getLogger(ROOT).setLevel(level.upper())
    return handler


def log_event(
    logger: logging.Logger, message: str, fields: Mapping[str, Any], level: int = logging.INFO
) -> None:
    """One structured record: `message` plus `fields` (JSON keys, or key=value in text)."""
    logger.log(level, message, extra=dict(fields))
