"""The operators hear when a platform breaks: every admin gets one message when a stage starts failing one
way for most requests (pipeline.watch), and one more when it recovers. With several processes the first to
notice tells (a claim in the shared state); the others stay quiet."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from data import Repositories, keys
from data.shared import SharedState
from media_types.texts import PLATFORM_NAMES, Translate
from pipeline import StageAlarm

log = logging.getLogger(__name__)


class BreakageAlerts:
    def __init__(self, *, bot: Bot, state: SharedState, repositories: Repositories,
                 translate: Callable[[str], Translate], admin_ids: frozenset[int]) -> None:
        self._bot = bot
        self._state = state
        self._chats = repositories.chats
        self._translate = translate
        self._admin_ids = admin_ids
        self._sending: set[asyncio.Task[None]] = set()

    def __call__(self, alarm: StageAlarm) -> None:
        """Heard from a stage's watch (synchronously, inside the request that tipped it): told in the
        background, so that request goes on at once."""
        (log.warning if alarm.broken else log.info)(
            "%s %s %s: %d of the last %d failed as %s", alarm.platform, alarm.stage,
            "is broken" if alarm.broken else "works", alarm.failures, alarm.window, alarm.way or "-")
        task = asyncio.get_running_loop().create_task(self._tell(alarm))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _tell(self, alarm: StageAlarm) -> None:
        key = keys.stage_alarm(alarm.platform, alarm.stage)
        if alarm.broken and not await self._state.claim(key):
            return  # another process told them already
        if not alarm.broken:
            if await self._state.get(key) is None:
                return  # never told it broke (or another process told them it recovered)
            await self._state.delete(key)
        for admin_id in self._admin_ids:
            chat = await self._chats.get(admin_id)
            t = self._translate(chat.language if chat is not None and chat.language else "en")
            text = t("alert-stage-broken" if alarm.broken else "alert-stage-recovered",
                     platform=PLATFORM_NAMES.get(alarm.platform.value, alarm.platform.value), stage=alarm.stage,
                     count=alarm.failures, window=alarm.window, error=html.escape(alarm.way))
            try:
                await self._bot.send_message(admin_id, text)
            except TelegramAPIError as exc:
                log.warning("could not tell admin %s about %s %s: %s", admin_id, alarm.platform, alarm.stage, exc)
