"""Per-update context: the update's id and chat on every log line, and the chat's stored settings, read
once for the handlers and the language lookup alike."""

from __future__ import annotations

import contextvars
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from data import keys
from data.logs import bind
from data.shared import SharedState
from handlers.i18n import settings_chat_id

log = logging.getLogger(__name__)


class LogContext(BaseMiddleware):
    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            chat = data.get("event_chat")
            bind(update=event.update_id, chat=chat.id if chat else None)
        return await handler(event, data)


class ChatSettings(BaseMiddleware):
    """Loads the chat's row (language, file mode, blocked) as `chat_settings`: for inline queries and
    buttons under inline messages, the user's private chat."""

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat_id = settings_chat_id(data.get("event_chat"), data.get("event_from_user"))
        data["chat_settings"] = await data["repositories"].chats.get(chat_id) if chat_id is not None else None
        return await handler(event, data)


class RequestIds:
    """Request ids that follow from the update (its id, then a number per request in the order the handler
    makes them): if handling fails half way and Telegram sends the update again, the requests already
    queued and their repeats share ids, so each chat still gets each item once."""

    def __init__(self, update_id: int) -> None:
        self._update_id = update_id
        self._made = itertools.count(1)

    def next(self) -> str:
        return f"u{self._update_id}-{next(self._made)}"


# The current update's request ids; None outside an update (then ids are random).
REQUEST_IDS: contextvars.ContextVar[RequestIds | None] = contextvars.ContextVar("request_ids", default=None)


class DropRepeatedUpdates(BaseMiddleware):
    """Telegram delivers at least once (a webhook answered too late is delivered again, maybe to another
    replica): the first process to claim an update id handles it, for an hour. An update whose handling
    failed is let go, so its redelivery (a webhook answered 500) is handled."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        key = keys.seen_update(event.update_id)
        if not await self._state.claim(key):
            log.info("update %s was delivered again; it is handled already", event.update_id)
            return None
        REQUEST_IDS.set(RequestIds(event.update_id))
        try:
            return await handler(event, data)
        except Exception:
            await self._state.delete(key)
            raise
