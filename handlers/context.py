"""Binds the update's id and chat to every log line written while it is handled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from data.logs import bind


class LogContext(BaseMiddleware):
    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            chat = data.get("event_chat")
            bind(update=event.update_id, chat=chat.id if chat else None)
        return await handler(event, data)
