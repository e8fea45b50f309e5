"""Logging set-up: one format for every module, and secrets scrubbed from every line."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterable

# Bound once per update (and per item once it is known), read by every log line of that request.
_CONTEXT: contextvars.ContextVar[tuple[tuple[str, object], ...]] = contextvars.ContextVar("log_context", default=())


def bind(**fields: object) -> None:
    """Add fields (update, chat, item...) to every log line of the current task and its children."""
    current = dict(_CONTEXT.get())
    current.update({key: value for key, value in fields.items() if value is not None})
    _CONTEXT.set(tuple(current.items()))


class _ContextFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = _CONTEXT.get()
        record.context = (" [" + " ".join(f"{key}={value}" for key, value in fields) + "]") if fields else ""
        return True


class RedactSecrets(logging.Filter):
    """Replaces the bot token, proxy passwords and other secrets in the final message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


# Libraries whose INFO lines are noise in our logs.
_CHATTY = ("alembic", "aiogram.event", "asyncio", "taskiq")


def configure_logging(level: str, secrets: Iterable[str], *, quiet: Iterable[str] = ()) -> None:
    """One handler on stderr for everything; `quiet` loggers (and chatty libraries) only warn."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"))
    handler.addFilter(_ContextFields())
    handler.addFilter(RedactSecrets(secrets))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in (*_CHATTY, *quiet):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
