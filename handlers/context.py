"""Per-update context: the update's id and chat on every log line, and the chat's stored settings, read
once for the handlers and the language lookup alike."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import TelegramObject, Update

from data import keys
from data.logs import bind
from data.shared import SharedState
from handlers.i18n import settings_chat_id

log = logging.getLogger(__name__)
REPEAT_POLL = 0.1  # seconds between looks at an update another process is handling


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
    buttons under inline messages, the user's private chat; for a guest message, the group's, else the
    caller's."""

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat, user = data.get("event_chat"), data.get("event_from_user")
        chats = data["repositories"].chats
        if isinstance(event, Update) and event.guest_message is not None:
            # A guest chat the bot knows is a group it was in; any other guest chat (a private chat between
            # two users shares its id with one's private chat with the bot) takes the caller's settings.
            known = await chats.get(chat.id) if chat is not None and chat.type != ChatType.PRIVATE else None
            data["chat_settings"] = known or (await chats.get(user.id) if user is not None else None)
            return await handler(event, data)
        chat_id = settings_chat_id(chat, user)
        data["chat_settings"] = await chats.get(chat_id) if chat_id is not None else None
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
    replica). An update is done once its handler has returned (its job queued): repeats are dropped for an
    hour. A repeat that arrives while another process handles it waits: until that one is done (dropped), or
    its claim lapses because that process died mid-handling (handled here). An update whose handling failed
    is let go, so Telegram's next delivery of it is handled."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        done, handling = keys.seen_update(event.update_id), keys.handling_update(event.update_id)
        while True:
            mine = await self._state.claim(handling)
            if await self._state.get(done):
                log.info("update %s was delivered again; it is handled already", event.update_id)
                return None
            if mine:
                break
            await asyncio.sleep(REPEAT_POLL)  # another process has it: done soon, or its claim lapses
        REQUEST_IDS.set(RequestIds(event.update_id))
        try:
            result = await handler(event, data)
        except Exception:
            await self._state.delete(handling)
            raise
        await self._state.put(done, "1")
        return result
