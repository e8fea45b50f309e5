"""Fairness: a global cap on deliveries served first come, first served across chats, and per chat a queue
of requests in flight (MAX_USER_QUEUE_SIZE / MAX_GROUP_QUEUE_SIZE), of which a few run at once
(MAX_CHAT_CONCURRENCY) and which reach the chat in the order they were sent. The queue also knows every
request it holds, so a shutdown can finish or hand back each one."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

from data import Surface, keys
from data.metrics import QUEUE_DEPTH, REJECTED
from data.shared import SharedState
from media_types.job import DeliveryJob

log = logging.getLogger(__name__)

LEND_AFTER = 10.0  # seconds: a delivery that must wait longer (Telegram's 429) lends its slot meanwhile
LINE_POLL = 0.1  # seconds between looks at a chat's line
LINE_PATIENCE = 120.0  # seconds a request waits for the ones before it, then goes anyway (one may be lost)


class Slot:
    """A delivery's place among the deliveries running at once, which a long wait can lend out."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def __aenter__(self) -> Self:
        await self._slots.acquire()
        self._held = True
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._held:
            self._held = False
            self._slots.release()

    async def lend_for(self, seconds: float) -> None:
        """Let another delivery run for `seconds`, then wait for a slot again (first come, first served)."""
        await self.lend_until(asyncio.sleep(seconds))

    async def lend_until(self, wait: Awaitable[None]) -> None:
        """Let another delivery run until `wait` is over, then wait for a slot again."""
        self._held = False
        self._slots.release()
        await wait
        await self._slots.acquire()
        self._held = True


# The slot of the delivery running in this task, if any.
CURRENT_SLOT: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("delivery_slot", default=None)


async def pause(seconds: float) -> None:
    """Wait; a wait longer than LEND_AFTER lends the current delivery's slot to another request meanwhile."""
    slot = CURRENT_SLOT.get()
    if slot is None or seconds <= LEND_AFTER:
        await asyncio.sleep(seconds)
        return
    log.info("waiting %.0f s for Telegram; the delivery slot goes to another request meanwhile", seconds)
    await slot.lend_for(seconds)


async def lending_slot(wait: Awaitable[None]) -> None:
    """Wait for something that may take long (the requests before this one in its chat) without holding the
    current delivery's slot meanwhile: otherwise the slots could all be held by requests waiting for ones
    that have none."""
    slot = CURRENT_SLOT.get()
    if slot is None:
        await wait
        return
    await slot.lend_until(wait)


class DeliveryQueue:
    def __init__(self, state: SharedState, *, concurrency: int, private_limit: int, group_limit: int,
                 chat_concurrency: int = 2) -> None:
        self._state = state
        self._slots = asyncio.Semaphore(concurrency)  # waiters are served in arrival order
        self._private_limit = private_limit
        self._group_limit = group_limit
        self.chat_concurrency = chat_concurrency
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
        # A request from no message (inline, a button under an inline message) queues after the chat's others.
        position = job.position if job.position is not None else time.time() * 1000
        await self._state.line_join(keys.chat_line(job.owner), job.request_id, position)
        return True

    async def ahead(self, job: DeliveryJob) -> int:
        """How many of its chat's (or inline user's) requests come before this one."""
        return await self._state.line_rank(keys.chat_line(job.owner), job.request_id) or 0

    async def wait_in_line(self, job: DeliveryJob, *, ahead_at_most: int) -> None:
        """Until at most `ahead_at_most` of its chat's requests come before this one; LINE_PATIENCE at most."""
        deadline = time.monotonic() + LINE_PATIENCE
        while await self.ahead(job) > ahead_at_most:
            if time.monotonic() > deadline:
                log.warning("request %s waited %.0f s for the ones before it; it goes anyway", job.request_id,
                            LINE_PATIENCE)
                return
            await asyncio.sleep(LINE_POLL)

    async def wait_for_turn(self, job: DeliveryJob) -> None:
        """Before the first thing a request sends its chat: the requests sent before it have gone first."""
        if await self.ahead(job):
            await lending_slot(self.wait_in_line(job, ahead_at_most=0))

    async def step_aside(self, job: DeliveryJob) -> None:
        """The request waits for another one (the same item, fetched by someone else): the requests after it
        need not wait for it."""
        await self._state.line_leave(keys.chat_line(job.owner), job.request_id)

    async def run(self, job: DeliveryJob, work: Callable[[DeliveryJob], Awaitable[None]]) -> bool:
        """Wait for a global slot (first come, first served), then do the work. True when the work ran to
        its end; False when a shutdown took the request back before or during the work."""
        task = asyncio.current_task()
        if self.closing or task is None:
            return False
        try:
            self._waiting[task] = job
            self._update_gauges()
            await self.wait_in_line(job, ahead_at_most=self.chat_concurrency - 1)
            async with Slot(self._slots) as slot:
                del self._waiting[task]
                self._running[task] = job
                self._update_gauges()
                mine = CURRENT_SLOT.set(slot)
                try:
                    await work(job)
                finally:
                    CURRENT_SLOT.reset(mine)
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
        await self.step_aside(job)
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
