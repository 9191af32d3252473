"""Log lines for people (text) or for machines (one JSON object a line), secrets masked."""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Final

FORMATS: Final = ("text", "json")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK: Final = "***"
HANDLER_NAME: Final = "eudesk"

# Loggers that say too much below these levels, whatever EUDESK_LOG_LEVEL is:
QUIET: Final = {
    # request URLs at INFO, and a Bot API URL holds the token
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    # SQL with its parameters at INFO and every row at DEBUG: passport numbers, holder names
    "sqlalchemy": logging.WARNING,
    # each statement with its parameters at DEBUG
    "aiosqlite": logging.WARNING,
    "asyncio": logging.WARNING,
    "alembic": logging.WARNING,
    # each Bot API request's parameters at DEBUG: reply texts, setWebhook's secret_token
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
    # each incoming update whole at DEBUG: the sender's name and what they typed
    "telegram.ext.Application": logging.INFO,
    # each Web API request's body at DEBUG: the text of every message sent
    "slack_sdk": logging.INFO,
}

# What every LogRecord has; anything else on a record came from `extra=` and is worth a field.
_RECORD_FIELDS: Final = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",  # Python 3.12+
}


class Redactor:
    """Replaces every configured secret in a text with MASK."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another (a token and its half) goes whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class TextFormatter(logging.Formatter):
    """One readable line (plus a traceback when there is one), secrets masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, with offset), level, logger, message, exc, extras."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)  # cached, as stdlib does
        if record.exc_text:
            entry["exc"] = self.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS:
                entry[f"extra_{key}" if key in entry else key] = self._field(value)
        # ensure_ascii=False: Serbian and Hungarian stay readable; newlines are still escaped.
        return json.dumps(entry, ensure_ascii=False)

    def _field(self, value: object) -> object:
        """Numbers, booleans and None as they are; anything else as its masked text."""
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
        return self.redact(str(value))


def build_formatter(fmt: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    """The formatter of a format name in FORMATS; ValueError for any other name."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (use text or json)")
    redact = Redactor(secrets)
    return JsonFormatter(redact) if fmt == "json" else TextFormatter(redact)


def configure_logging(
    level: str,
    fmt: str = "text",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Every record to one handler on the root logger (stderr unless `stream`), one line each
    (JSON: tracebacks inside the line), every secret masked. Calling it again replaces the
    handler it installed before, so no line is written twice. Returns the handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(build_formatter(fmt, secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in QUIET.items():
        # Never below the root's level: a logger's own level would let INFO through at WARNING.
        logging.getLogger(name).setLevel(max(floor, root.level))
    return handler
