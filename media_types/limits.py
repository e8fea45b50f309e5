"""Fairness: a global cap on deliveries served first come, first served across chats, a per-chat limit on
requests in flight, and a spam guard that mutes senders who flood links. The queue also knows every
request it holds, so a shutdown can finish or hand back each one."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from data import Surface, keys
from data.metrics import QUEUE_DEPTH, REJECTED
from data.shared import SharedState
from media_types.job import DeliveryJob

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    ALLOW = "allow"
    MUTED_NOW = "muted_now"  # this message crossed the line: tell the sender once
    MUTED = "muted"  # still muted: ignore quietly


class SpamGuard:
    """Per sender, at most `max_links` links per `window` seconds; a sender over the line is muted for
    `mute_seconds`, and told once (the first process to claim the mute tells)."""

    def __init__(self, state: SharedState, *, max_links: int, window: float, mute_seconds: float) -> None:
        self._state = state
        self._max_links = max_links
        self._window = window
        self.mute_seconds = mute_seconds

    async def check(self, sender_id: int, links: int = 1) -> Verdict:
        if await self._state.get(keys.mute(sender_id, self.mute_seconds)) is not None:
            return Verdict.MUTED
        count = 0
        for _ in range(min(links, self._max_links + 1)):
            count = await self._state.hits(keys.spam_hits(sender_id, self._window))
        if count <= self._max_links:
            return Verdict.ALLOW
        REJECTED.labels("spam").inc()
        if self.mute_seconds and await self._state.claim(keys.mute(sender_id, self.mute_seconds)):
            log.info("sender %s is flooding; muted for %.0f s", sender_id, self.mute_seconds)
            return Verdict.MUTED_NOW
        return Verdict.MUTED


class DeliveryQueue:
    def __init__(self, state: SharedState, *, concurrency: int, private_limit: int, group_limit: int) -> None:
        self._state = state
        self._slots = asyncio.Semaphore(concurrency)  # waiters are served in arrival order
        self._private_limit = private_limit
        self._group_limit = group_limit
        self._waiting: dict[asyncio.Task[Any], DeliveryJob] = {}
        self._running: dict[asyncio.Task[Any], DeliveryJob] = {}
        self.closing = False

    async def admit(self, job: DeliveryJob) -> bool:
        """Reserve a place for the request in its chat's quota (shared by every process); False when the
        chat has too many in flight (or the bot is shutting down). A place is held at most keys.IN_FLIGHT_TTL."""
        limit = self._group_limit if job.surface is Surface.GROUP else self._private_limit
        if self.closing or not await self._state.count_up(keys.in_flight(job.owner), limit):
            REJECTED.labels("closing" if self.closing else "chat_limit").inc()
            return False
        return True

    async def run(self, job: DeliveryJob, work: Callable[[DeliveryJob], Awaitable[None]]) -> bool:
        """Wait for a global slot (first come, first served), then do the work. True when the work ran to
        its end; False when a shutdown took the request back before or during the work."""
        task = asyncio.current_task()
        if self.closing or task is None:
            return False
        try:
            self._waiting[task] = job
            self._update_gauges()
            async with self._slots:
                del self._waiting[task]
                self._running[task] = job
                self._update_gauges()
                await work(job)
        except asyncio.CancelledError:
            if not self._draining():
                raise
            return False  # the drain's doing: the caller hands the request back
        else:
            return True
        finally:
            self._waiting.pop(task, None)
            self._running.pop(task, None)
            self._update_gauges()

    async def release(self, job: DeliveryJob) -> None:
        """Give the request's place in its chat's quota back (once, when it is finished for good)."""
        await self._state.count_down(keys.in_flight(job.owner))

    def _draining(self) -> bool:
        """Read anew after a wait: a drain may have begun meanwhile."""
        return self.closing

    def _update_gauges(self) -> None:
        QUEUE_DEPTH.labels("waiting").set(len(self._waiting))
        QUEUE_DEPTH.labels("running").set(len(self._running))

    async def drain(self, grace: float) -> None:
        """Shutdown: take nothing new, take back what has not started, give running deliveries `grace`
        seconds to finish, then take those back too; run() tells each taken-back request's caller."""
        self.closing = True
        waiting = list(self._waiting)
        for task in waiting:
            task.cancel()
        if self._running:
            log.info("waiting up to %.0f s for %d deliveries in flight", grace, len(self._running))
            await asyncio.wait(list(self._running), timeout=grace)
        unfinished = list(self._running)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*waiting, *unfinished, return_exceptions=True)
        if waiting or unfinished:
            log.info("shutdown took back %d waiting and %d unfinished requests", len(waiting), len(unfinished))
