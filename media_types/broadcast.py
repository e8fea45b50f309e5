"""Broadcasts: an admin's message copied to every chat that has not blocked the bot, through the same
outbound limiter as everything else. Progress is in the database, so a restart resumes where it stopped,
and a recipient is claimed before the copy, so nobody gets a message twice. One process at a time runs a
broadcast (a lease in the shared state); every bot process looks for running broadcasts nobody runs at
start and every minute, so one stopped mid-way is carried on by another replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message

from data import Repositories, keys
from data.models import BroadcastStatus, RecipientStatus
from data.shared import SharedState
from media_types.texts import Translate

log = logging.getLogger(__name__)

PROGRESS_EVERY = 3.0  # seconds between edits of the admin's progress message
ADOPT_EVERY = 60.0  # seconds between looks for running broadcasts that no process runs


class Broadcaster:
    def __init__(self, *, bot: Bot, repositories: Repositories, translate: Callable[[str], Translate],
                 state: SharedState) -> None:
        self._bot = bot
        self._repositories = repositories
        self._translate = translate
        self._state = state
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._adopting: asyncio.Task[None] | None = None
        self._broken: set[int] = set()  # broadcasts that failed here: not picked up again until a restart

    def start(self, broadcast_id: int, admin_chat_id: int, language: str) -> None:
        task = asyncio.create_task(self._run(broadcast_id, admin_chat_id, language), name=f"broadcast-{broadcast_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> None:
        """At start: carry on with every running broadcast no process runs, now and every ADOPT_EVERY."""
        await self._adopt()
        self._adopting = asyncio.create_task(self._keep_adopting(), name="broadcast-adoption")

    async def _keep_adopting(self) -> None:
        while not self._stopping.is_set():
            await asyncio.sleep(ADOPT_EVERY)
            try:
                await self._adopt()
            except Exception:  # the database or Redis away for a moment: the next look may work
                log.exception("could not look for broadcasts to carry on")

    async def _adopt(self) -> None:
        running_here = {task.get_name() for task in self._tasks}
        for broadcast in await self._repositories.broadcasts.running():
            if f"broadcast-{broadcast.id}" not in running_here and broadcast.id not in self._broken:
                self.start(broadcast.id, broadcast.admin_id, "en")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the copy in progress and stop; the rest waits for the next start (here or elsewhere)."""
        self._stopping.set()
        if self._adopting is not None:
            self._adopting.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in set(self._tasks):
            task.cancel()

    async def _run(self, broadcast_id: int, admin_chat_id: int, language: str) -> None:
        async with self._state.lease(keys.broadcast(broadcast_id)) as mine:
            if not mine:
                return
            try:
                await self._send_all(broadcast_id, admin_chat_id, language)
            except Exception:
                self._broken.add(broadcast_id)
                log.exception("broadcast %s failed; another replica or the next start carries it on", broadcast_id)

    async def _send_all(self, broadcast_id: int, admin_chat_id: int, language: str) -> None:
        log.info("running broadcast %s", broadcast_id)
        t = self._translate(language)
        broadcasts = self._repositories.broadcasts
        broadcast = await broadcasts.get(broadcast_id)
        if broadcast is None:
            log.warning("broadcast %s is gone; nothing to send", broadcast_id)
            return
        total = await broadcasts.audience() + sum((await broadcasts.progress(broadcast_id)).values())
        status = await self._bot.send_message(admin_chat_id, t("broadcast-progress", done=0, total=total))
        last_edit = time.monotonic()
        while not self._stopping.is_set():
            batch = await broadcasts.next_recipients(broadcast_id)
            if not batch:
                await broadcasts.set_status(broadcast_id, BroadcastStatus.DONE, only_from=BroadcastStatus.RUNNING)
                counts = await broadcasts.progress(broadcast_id)
                await self._edit(status, t("broadcast-done", sent=counts.get("sent", 0),
                                           blocked=counts.get("blocked", 0), failed=counts.get("failed", 0)))
                log.info("broadcast %s done: %s", broadcast_id, counts)
                return
            for chat_id in batch:
                if self._stopping.is_set():
                    break
                if await broadcasts.claim(broadcast_id, chat_id):
                    outcome = await self._copy(broadcast.source_chat_id, broadcast.source_message_id, chat_id)
                    await broadcasts.finish(broadcast_id, chat_id, outcome)
                if time.monotonic() - last_edit > PROGRESS_EVERY:
                    done = sum((await broadcasts.progress(broadcast_id)).values())
                    await self._edit(status, t("broadcast-progress", done=done, total=total))
                    last_edit = time.monotonic()
        log.info("broadcast %s paused for shutdown; it resumes at the next start", broadcast_id)

    async def _copy(self, from_chat_id: int, message_id: int, chat_id: int) -> RecipientStatus:
        try:
            await self._bot.copy_message(chat_id, from_chat_id, message_id)
        except TelegramForbiddenError:
            await self._repositories.chats.mark_blocked(chat_id, "private" if chat_id > 0 else "group")
            return RecipientStatus.BLOCKED
        except TelegramAPIError as exc:
            log.info("broadcast copy to %s failed: %s", chat_id, exc)
            return RecipientStatus.FAILED
        return RecipientStatus.SENT

    async def _edit(self, message: Message, text: str) -> None:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text)
