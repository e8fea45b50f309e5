"""One limiter for every message the bot sends, following Telegram's published limits, so the bot does
not collect 429s in the first place: about 30 messages a second overall, about one a second in a chat
(short bursts allowed), 20 a minute in a group. An album weighs as many messages as it has items.

The buckets are per process (aiolimiter); with several processes (REDIS_URL) the 30 a second overall are
also counted across all of them, per wall-clock second in the shared state."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import SendChatAction, SendMediaGroup, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiolimiter import AsyncLimiter

from data import keys
from data.shared import SharedState

GLOBAL_PER_SECOND = 30
CHAT_BURST, CHAT_PERIOD = 10, 10.0  # one a second on average, an album at once
GROUP_PER_MINUTE = 20
_REMEMBERED_CHATS = 10_000


def message_weight(method: TelegramMethod[Any]) -> int:
    """How many messages a call sends: 0 for calls that send none."""
    name = method.__api_method__
    if isinstance(method, SendChatAction) or not (name.startswith(("send", "copyMessage", "forwardMessage"))):
        return 0
    if isinstance(method, SendMediaGroup):
        return len(method.media)
    return 1


class OutboundLimiter(BaseRequestMiddleware):
    def __init__(self, *, per_second: int = GLOBAL_PER_SECOND, shared: SharedState | None = None) -> None:
        self._per_second = per_second
        self._global = AsyncLimiter(per_second, 1.0)
        self._shared = shared
        self._chats: OrderedDict[int | str, AsyncLimiter] = OrderedDict()

    async def _shared_second(self, shared: SharedState, weight: int) -> None:
        """Wait for room in the current second's budget shared by every process."""
        while True:
            now = time.time()
            second = keys.outbound_second(int(now))
            if await shared.count_up(second, self._per_second, min(weight, self._per_second)):
                return
            await asyncio.sleep(1 - now % 1)

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None)
        if limiter is None:
            is_group = isinstance(chat_id, str) or chat_id < 0
            limiter = AsyncLimiter(GROUP_PER_MINUTE, 60.0) if is_group else AsyncLimiter(CHAT_BURST, CHAT_PERIOD)
            if len(self._chats) >= _REMEMBERED_CHATS:
                self._chats.popitem(last=False)  # the least recently used chat
        self._chats[chat_id] = limiter
        return limiter

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        weight = message_weight(method)
        chat_id = getattr(method, "chat_id", None)
        if weight and chat_id is not None:
            await self._chat_limiter(chat_id).acquire(weight)
            await self._global.acquire(weight)
            if self._shared is not None:
                await self._shared_second(self._shared, weight)
        return await make_request(bot, method)
