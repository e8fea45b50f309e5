"""The "sending a file…" status of a chat, renewed every few seconds while its item is fetched.

aiogram's ChatActionSender would do, but for two things a downloader meets daily: a failed status call ends its
task with an exception nobody retrieves (a traceback in the logs for a cosmetic call), and leaving it waits
for the status call in progress, which during a Bot API outage waits as long as the outage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError

from data.background import let_go

log = logging.getLogger(__name__)

RENEW_EVERY = 5.0  # Telegram shows a status for 5 s or until the next message


@contextlib.asynccontextmanager
async def chat_action(bot: Bot, chat_id: int, action: ChatAction = ChatAction.UPLOAD_DOCUMENT) -> AsyncIterator[None]:
    """Show `action` in the chat for as long as the block runs; never fails the block, never delays its end
    (data.background: a status call in flight ends by itself)."""
    stop = asyncio.Event()

    async def renew() -> None:
        while not stop.is_set():
            try:
                await bot.send_chat_action(chat_id, action)
            except TelegramAPIError as exc:
                log.info("could not show %s in chat %s: %s", action.value, chat_id, exc.message)
            except Exception:  # a cosmetic call: whatever it raises, the delivery goes on
                log.exception("showing %s in chat %s failed", action.value, chat_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RENEW_EVERY)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        let_go(task, stop)
