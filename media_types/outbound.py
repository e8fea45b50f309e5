"""Telegram's flood limits, kept before a message leaves rather than learned from 429s: at most 3 messages
per rolling 3 s in a private chat, 20 per rolling minute in a group, 30 per rolling second overall (Telegram's
published guidance: about one a second in a chat, 20 a minute in a group, 30 a second in all), an album
counting as many messages as it has items. The windows live in the shared state, so every process counts
into the same ones.

A 429 is shared knowledge: its retry_after holds every send to that chat (or, without a chat, every send)
in every process, and the chat's pace slows (its window stretches, up to 8x) and recovers gradually (the
stretch halves every 30 s without a 429). A long wait lends the delivery's slot to other requests."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import SendChatAction, SendMediaGroup, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from data import keys
from data.keys import Key
from data.shared import LocalState, SharedState
from media_types.limits import pause

PRIVATE_LIMIT, PRIVATE_WINDOW = 3, 3.0
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0
GLOBAL_LIMIT, GLOBAL_WINDOW = 30, 1.0
SLOWEST_PACE = 8  # how far a chat's window may stretch after 429s
PACE_RECOVERY = 30.0  # seconds without a 429 that halve the stretch
_REMEMBERED_CHATS = 10_000


def message_weight(method: TelegramMethod[Any]) -> int:
    """How many messages a call sends: 0 for calls that send none."""
    name = method.__api_method__
    if isinstance(method, SendChatAction) or not (name.startswith(("send", "copyMessage", "forwardMessage"))):
        return 0
    if isinstance(method, SendMediaGroup):
        return len(method.media)
    return 1


def is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0


@dataclass(slots=True)
class _Pace:
    stretch: float = 1.0
    since: float = 0.0  # when the last 429 came

    def now(self, at: float) -> float:
        """The stretch as it is now: halved for every PACE_RECOVERY since the last 429."""
        halvings = int((at - self.since) / PACE_RECOVERY)
        return max(1.0, self.stretch * 0.5**halvings)


class FloodControl(BaseRequestMiddleware):
    def __init__(self, state: SharedState | None = None) -> None:
        self._state = state or LocalState()
        self._paces: OrderedDict[int | str, _Pace] = OrderedDict()

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == "getUpdates":  # taking updates is never held, and costs no look at the holds
            return await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        await self.wait_out_holds(chat_id)
        weight = message_weight(method)
        if not weight:
            return await make_request(bot, method)
        stamp = secrets.token_hex(6)
        windows = await self._wait_for_room(chat_id, weight, stamp)
        try:
            return await make_request(bot, method)
        finally:  # Telegram counts a message when it has it, after the upload: so do the windows
            for window in windows:
                await self._state.restamp(window, stamp, weight)

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """Telegram asked to wait (a 429): nothing goes to that chat (without one: anywhere) for `seconds`,
        in any process; the chat's pace slows."""
        await self._state.raise_to(keys.flood_hold(chat_id, seconds), time.time() + seconds)
        if chat_id is not None:
            pace = self._pace(chat_id)
            now = time.monotonic()
            pace.stretch, pace.since = min(SLOWEST_PACE, 2 * pace.now(now)), now

    async def wait_out_holds(self, chat_id: int | str | None) -> float:
        """Until no hold covers this chat; the seconds waited."""
        waited = 0.0
        while True:
            holds = [await self._state.get(keys.flood_hold(None, 0))]
            if chat_id is not None:
                holds.append(await self._state.get(keys.flood_hold(chat_id, 0)))
            left = max((float(until) for until in holds if until is not None), default=0.0) - time.time()
            if left <= 0:
                return waited
            await pause(left)
            waited += left

    async def _wait_for_room(self, chat_id: int | str | None, weight: int, stamp: str) -> list[Key]:
        """Take places in the chat's window and the overall one; the windows taken from."""
        windows = [keys.flood_window(None)]
        if chat_id is not None:
            limit, window = (GROUP_LIMIT, GROUP_WINDOW) if is_group(chat_id) else (PRIVATE_LIMIT, PRIVATE_WINDOW)
            window *= self._pace(chat_id).now(time.monotonic())
            windows.insert(0, keys.flood_window(chat_id))
            while (wait := await self._state.take(windows[0], limit, window, weight, stamp)) > 0:
                await pause(wait)
        while (wait := await self._state.take(windows[-1], GLOBAL_LIMIT, GLOBAL_WINDOW, weight, stamp)) > 0:
            await pause(wait)
        return windows

    def _pace(self, chat_id: int | str) -> _Pace:
        pace = self._paces.pop(chat_id, None) or _Pace()
        if len(self._paces) >= _REMEMBERED_CHATS:
            self._paces.popitem(last=False)  # the least recently used chat
        self._paces[chat_id] = pace
        return pace
