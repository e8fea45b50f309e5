"""Broadcasts: an admin's message copied to every chat that has not blocked the bot, through the same
flood control as everything else. Progress is in the database, so a restart resumes where it stopped, and a
recipient is claimed before the copy, so a restart sends nobody the message twice. A copy that failed for now
(network, Telegram's 5xx, a 429 that outlasted the waits) or was stopped mid-way is tried again later: at
least once, so a recipient whose copy Telegram took just before the connection broke may get it twice. One
process at a time runs a
broadcast (a lease in the shared state); every bot process looks for running broadcasts nobody runs at
start and every minute, so one stopped mid-way is carried on by another replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message

from data import Repositories, keys
from data.models import Broadcast, BroadcastStatus, RecipientStatus
from data.shared import SharedState
from media_types.texts import Translate

log = logging.getLogger(__name__)

PROGRESS_EVERY = 3.0  # seconds between edits of the admin's progress message
RETRY_TEMPORARY = (3.0, 60.0, 300.0)  # seconds before each new try of a recipient that failed for now
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
        later = Deferred()
        while not self._stopping.is_set():
            batch = [chat_id for chat_id in await broadcasts.next_recipients(broadcast_id) if later.ready(chat_id)]
            if not batch and later.waiting:
                await later.wait(self._stopping)
                continue
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
                await self._send_one(broadcast, chat_id, later)
                if time.monotonic() - last_edit > PROGRESS_EVERY:
                    done = sum((await broadcasts.progress(broadcast_id)).values())
                    await self._edit(status, t("broadcast-progress", done=done, total=total))
                    last_edit = time.monotonic()
        log.info("broadcast %s paused for shutdown; it resumes at the next start", broadcast_id)

    async def _send_one(self, broadcast: Broadcast, chat_id: int, later: Deferred) -> None:
        """Claim the recipient, copy, write the outcome down; a temporary failure gives the claim back for a
        later try, and so does a stop in the middle of the copy."""
        broadcasts = self._repositories.broadcasts
        if not await broadcasts.claim(broadcast.id, chat_id):
            return
        try:
            outcome = await self._copy(broadcast.source_chat_id, broadcast.source_message_id, chat_id)
        except asyncio.CancelledError:
            await asyncio.shield(broadcasts.release(broadcast.id, chat_id))
            raise
        if outcome is None and later.again(chat_id):
            await broadcasts.release(broadcast.id, chat_id)
        else:
            later.settled(chat_id)
            await broadcasts.finish(broadcast.id, chat_id, outcome or RecipientStatus.FAILED)

    async def _copy(self, from_chat_id: int, message_id: int, chat_id: int) -> RecipientStatus | None:
        """The recipient's outcome, or None for a temporary error (network, Telegram's 5xx, a 429 that
        outlasted the waits): worth another try later."""
        try:
            await self._bot.copy_message(chat_id, from_chat_id, message_id)
        except TelegramForbiddenError:
            await self._repositories.chats.mark_blocked(chat_id, "private" if chat_id > 0 else "group")
            return RecipientStatus.BLOCKED
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            log.info("broadcast copy to %s failed for now: %s", chat_id, exc)
            return None
        except TelegramAPIError as exc:
            log.info("broadcast copy to %s failed: %s", chat_id, exc)
            return RecipientStatus.FAILED
        return RecipientStatus.SENT

    async def _edit(self, message: Message, text: str) -> None:
        with contextlib.suppress(TelegramBadRequest):
            await message.edit_text(text)


class Deferred:
    """Recipients whose copy failed for now, each with the time of its next try; after the last of
    RETRY_TEMPORARY it counts as failed."""

    def __init__(self) -> None:
        self._tries: dict[int, int] = {}
        self._not_before: dict[int, float] = {}

    @property
    def waiting(self) -> bool:
        return bool(self._not_before)

    def ready(self, chat_id: int) -> bool:
        return time.monotonic() >= self._not_before.get(chat_id, 0.0)

    def settled(self, chat_id: int) -> None:
        """The recipient's outcome is written down: nothing more to wait for."""
        self._not_before.pop(chat_id, None)

    def again(self, chat_id: int) -> bool:
        """Schedule one more try; False when the recipient had all its tries."""
        tries = self._tries.get(chat_id, 0)
        if tries >= len(RETRY_TEMPORARY):
            return False
        self._tries[chat_id] = tries + 1
        self._not_before[chat_id] = time.monotonic() + RETRY_TEMPORARY[tries]
        return True

    async def wait(self, stopping: asyncio.Event) -> None:
        """Until the next recipient's try is due (or the broadcast is stopped)."""
        delay = max(0.0, min(self._not_before.values()) - time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=delay)
