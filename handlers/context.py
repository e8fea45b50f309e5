"""Per-update context: the update's id and chat on every log line, and the chat's stored settings, read
once for the handlers and the language lookup alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from cachetools import TTLCache

from data.logs import bind
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


class SeenUpdates:
    """Update ids already taken, for a while: Telegram delivers at least once (a webhook answer that came
    too late is delivered again). In one process, memory; with several, Redis (handlers.shared)."""

    def __init__(self, ttl: float = 3600) -> None:
        self._seen: TTLCache[int, bool] = TTLCache(maxsize=200_000, ttl=ttl)

    async def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = True
        return True


class DropRepeatedUpdates(BaseMiddleware):
    def __init__(self, seen: SeenUpdates) -> None:
        self._seen = seen

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and not await self._seen.first_time(event.update_id):
            log.info("update %s was delivered again; it is handled already", event.update_id)
            return None
        return await handler(event, data)
