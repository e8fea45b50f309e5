"""Fairness on the real in-process shared state: per-chat admission, a FIFO global cap, drain, the spam guard."""

from __future__ import annotations

import asyncio

import pytest

from data import Platform, Surface
from data.shared import LocalState
from media_types.job import DeliveryJob
from media_types.limits import DeliveryQueue
from media_types.spam import SpamGuard, Verdict
from tests.harness import eventually

LINK = "https://www.tiktok.com/@user/video/7312345678901234567"


def job(surface: Surface = Surface.PRIVATE, chat_id: int | None = 42, user_id: int | None = 42) -> DeliveryJob:
    return DeliveryJob(Platform.TIKTOK, LINK, surface, "en", chat_id=chat_id, user_id=user_id)


def queue(*, concurrency: int = 2, private_limit: int = 2, group_limit: int = 5) -> DeliveryQueue:
    return DeliveryQueue(LocalState(), concurrency=concurrency, private_limit=private_limit, group_limit=group_limit)


class Works:
    """Deliveries that run until the test lets each go, recording their start order and peak overlap."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.running = 0
        self.peak = 0
        self.gates: dict[str, asyncio.Event] = {}

    def work(self, name: str):
        self.gates[name] = asyncio.Event()

        async def deliver(_job: DeliveryJob) -> None:
            self.started.append(name)
            self.running += 1
            self.peak = max(self.peak, self.running)
            try:
                await self.gates[name].wait()
            finally:
                self.running -= 1
            self.finished.append(name)

        return deliver


async def test_a_private_chat_is_admitted_up_to_its_limit_then_refused() -> None:
    delivery = queue(private_limit=2)
    assert [await delivery.admit(job()) for _ in range(3)] == [True, True, False]
    assert await delivery.admit(job(chat_id=43, user_id=43))  # another chat has its own quota


async def test_a_group_has_its_own_larger_limit() -> None:
    delivery = queue(private_limit=2, group_limit=5)
    group = job(Surface.GROUP, chat_id=-100123, user_id=42)
    assert [await delivery.admit(group) for _ in range(6)] == [True] * 5 + [False]


async def test_an_inline_request_counts_against_its_user() -> None:
    delivery = queue(private_limit=1)
    inline = job(Surface.INLINE, chat_id=None, user_id=77)
    assert await delivery.admit(inline)
    assert not await delivery.admit(job(chat_id=77, user_id=77))  # the same owner: the user's private chat


async def test_release_gives_a_place_back() -> None:
    delivery = queue(private_limit=1)
    first = job()
    assert await delivery.admit(first)
    assert not await delivery.admit(job())
    await delivery.release(first)
    assert await delivery.admit(job())


async def test_at_most_concurrency_jobs_run_at_once_and_waiters_start_in_arrival_order() -> None:
    delivery, works = queue(concurrency=2), Works()
    names = [f"job{i}" for i in range(6)]
    runs = []
    for name in names:
        runs.append(asyncio.create_task(delivery.run(job(), works.work(name))))
        await asyncio.sleep(0)  # arrive one after another
    await eventually(lambda: len(works.started) == 2, what="two deliveries running")
    for name in names:  # let them go one at a time: each freed slot goes to the longest waiter
        await eventually(lambda name=name: name in works.started, what=f"{name} started")
        works.gates[name].set()
        await eventually(lambda name=name: name in works.finished, what=f"{name} finished")

    assert await asyncio.gather(*runs) == [True] * len(names)
    assert works.started == names
    assert works.peak == 2


async def test_drain_takes_back_waiting_jobs_and_lets_running_ones_finish_within_grace() -> None:
    delivery, works = queue(concurrency=1), Works()
    running = asyncio.create_task(delivery.run(job(), works.work("running")))
    await eventually(lambda: works.started == ["running"], what="the first delivery running")
    waiting = asyncio.create_task(delivery.run(job(), works.work("waiting")))
    await asyncio.sleep(0)

    drain = asyncio.create_task(delivery.drain(grace=30))
    await eventually(lambda: delivery.closing, what="the drain begun")
    works.gates["running"].set()  # finishes within its grace
    await asyncio.wait_for(drain, 10)

    assert running.result() is True
    assert waiting.result() is False  # handed back to its caller: never started
    assert works.started == ["running"]
    assert not await delivery.admit(job())  # nothing new once closing
    assert await delivery.run(job(), works.work("late")) is False


async def test_drain_takes_back_a_delivery_that_outlives_its_grace() -> None:
    delivery, works = queue(concurrency=1), Works()
    stuck = asyncio.create_task(delivery.run(job(), works.work("stuck")))
    await eventually(lambda: works.started == ["stuck"], what="the delivery running")
    await asyncio.wait_for(delivery.drain(grace=0.05), 10)
    assert stuck.result() is False
    assert works.finished == []


async def test_spam_guard_allows_up_to_max_links_then_mutes_once() -> None:
    guard = SpamGuard(LocalState(), max_links=3, window=60, mute_seconds=60)
    verdicts = [await guard.check(1001) for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.MUTED_NOW] + [Verdict.MUTED] * 2
    assert await guard.check(2002) is Verdict.ALLOW  # another sender is unaffected


async def test_spam_guard_counts_every_link_of_a_message() -> None:
    guard = SpamGuard(LocalState(), max_links=3, window=60, mute_seconds=60)
    assert await guard.check(1001, links=3) is Verdict.ALLOW
    assert await guard.check(1001, links=1) is Verdict.MUTED_NOW


@pytest.mark.parametrize("links", [4, 50])
async def test_spam_guard_mutes_a_single_message_with_too_many_links(links: int) -> None:
    guard = SpamGuard(LocalState(), max_links=3, window=60, mute_seconds=60)
    assert await guard.check(1001, links=links) is Verdict.MUTED_NOW
    assert await guard.check(1001) is Verdict.MUTED
