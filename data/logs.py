"""Logging set-up: one format for every module, and secrets scrubbed from every line."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Iterable
from urllib.parse import quote

# user:password@ in any URL (scheme://...), as proxies, Redis and database URLs carry them.
_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)

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


def redact_credentials(text: str) -> str:
    """Text (an error, a log line) with the user and password of every URL in it replaced: proxies and
    database URLs carry them, and the libraries' error messages repeat them."""
    return _CREDENTIALS.sub(r"\1***@", text)


class RedactSecrets(logging.Filter):
    """Replaces the bot token, proxy passwords and other secrets (as written and percent-encoded, as they
    appear inside URLs) and every URL's credentials in the final message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets if secret and len(secret) >= 4
                 for form in (secret, quote(secret, safe=""), quote(secret))}
        self._secrets = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_credentials(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


# Libraries whose INFO lines are noise in our logs.
_CHATTY = ("alembic", "aiogram.event", "aiosqlite", "asyncio", "taskiq")  # aiosqlite: a line per SQLite call


def configure_logging(level: str, secrets: Iterable[str], *, quiet: Iterable[str] = ()) -> None:
    """One handler on stderr for everything; `quiet` loggers (and chatty libraries) only warn."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"))
    handler.addFilter(_ContextFields())
    handler.addFilter(RedactSecrets(secrets))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in (*_CHATTY, *quiet):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
