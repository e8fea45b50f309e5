"""Stalls and losses a review found in the queue, the flood control, proxy health, the stage watch and link
finding, each replayed with the real pieces."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendChatAction, TelegramMethod
from aiogram.methods.base import Response

from data import Platform, Surface, keys
from data.config import PipelineSettings
from data.shared import LocalState
from media_types.flight import SingleFlight
from media_types.job import DeliveryJob, position_of
from media_types.limits import DeliveryQueue
from media_types.outbound import FloodControl
from media_types.platforms import create_platforms
from media_types.telegram_answers import TelegramAnswers
from pipeline import NetworkError, StageAlarm, StageWatch
from pipeline.proxies import Outcome, ProxyManager

VIDEO = "https://www.tiktok.com/@u/video/{}"


def job(chat: int, message: int | None, item: str, surface: Surface = Surface.PRIVATE) -> DeliveryJob:
    return DeliveryJob(Platform.TIKTOK, VIDEO.format(item), surface, "en", chat_id=chat, user_id=chat,
                       position=position_of(message) if message is not None else None,
                       request_id=f"{chat}/{message}/{item}")


async def test_requests_waiting_for_a_viral_item_do_not_starve_its_fetcher_of_a_slot() -> None:
    """A chat sends a slow item, then a viral one; two other chats paste the viral one. Its fetcher waits for
    its chat's first request without a slot, and the two waiting for it must not hold both slots."""
    state = LocalState()
    queue = DeliveryQueue(state, concurrency=2, private_limit=10, group_limit=20, chat_concurrency=2)
    flights, cached, sent = SingleFlight(state), set(), []

    async def work(request: DeliveryJob) -> None:
        item = request.link.rsplit("/", 1)[1]

        async def send() -> None:
            await queue.wait_for_turn(request)
            sent.append(request.request_id)

        async def done() -> bool:
            if item in cached:
                await send()
            return item in cached

        async def produce() -> None:
            await asyncio.sleep(1.0 if item == "1111111" else 0.1)
            await send()
            cached.add(item)

        await flights.run(keys.flight("tiktok", item, "media"), keys.flight_failure("tiktok", item, "media"), done,
                          produce, lambda: queue.step_aside(request))

    slow, viral = job(1, 1, "1111111"), job(1, 2, "2222222")
    others = [job(chat, 1, "2222222") for chat in (2, 3)]
    for request in (slow, viral, *others):
        assert await queue.admit(request)

    async def deliver(request: DeliveryJob, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        await queue.run(request, work)
        await queue.release(request)

    await asyncio.wait_for(asyncio.gather(deliver(slow), deliver(viral), *(deliver(o, 0.3) for o in others)), 15)
    assert sorted(sent) == sorted(r.request_id for r in (slow, viral, *others))


async def test_inline_requests_of_one_user_keep_to_the_chat_concurrency() -> None:
    queue = DeliveryQueue(LocalState(), concurrency=8, private_limit=10, group_limit=20, chat_concurrency=2)
    running, peak, gate = 0, 0, asyncio.Event()

    async def work(_request: DeliveryJob) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    inline = [job(77, None, f"{n}000000", Surface.INLINE) for n in range(6)]
    for request in inline:
        assert await queue.admit(request)
    async def deliver(request: DeliveryJob) -> None:
        await queue.run(request, work)
        await queue.release(request)

    tasks = [asyncio.create_task(deliver(request)) for request in inline]
    await asyncio.sleep(0.5)
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert peak == 2


async def test_a_429_on_a_chat_action_holds_that_chat_only() -> None:
    state = LocalState()
    flood = FloodControl(state)
    answers = TelegramAnswers(flood, max_wait=0)

    async def refuse(_bot: Bot, _method: TelegramMethod[Any]) -> Response[Any]:
        raise TelegramRetryAfter(method=SendChatAction(chat_id=111, action="typing"), message="flood",
                                 retry_after=5)

    with contextlib.suppress(TelegramRetryAfter):
        await answers(refuse, Bot("1:a"), SendChatAction(chat_id=111, action="typing"))
    assert await state.get(keys.flood_hold(111, 0)) is not None
    assert await state.get(keys.flood_hold(None, 0)) is None
    assert await flood.wait_out_holds(222) == 0.0


async def test_a_direct_media_attempt_leaves_no_proxy_probe_behind() -> None:
    manager = ProxyManager(("http://p1:1", "http://p2:1"), data_only=True)
    pages = manager.session()
    await pages.prepare()
    pages.report(Outcome.REACHED)
    media = manager.session()  # starts at p2, never tried
    await media.prepare(media=True)  # goes direct: p2's first probe stays free
    media.report(Outcome.REACHED, media=True)
    other = manager.session()
    await asyncio.wait_for(other.prepare(), 1)
    another = manager.session()
    await asyncio.wait_for(another.prepare(), 1)
    assert {other.proxy, another.proxy} == {"http://p1:1", "http://p2:1"}


def test_a_fresh_process_that_sees_a_stage_working_says_so_once() -> None:
    """So an alarm left standing by an earlier process is taken back."""
    alarms: list[StageAlarm] = []
    watch = StageWatch(Platform.TIKTOK, window=10, ratio=0.5)
    watch.on_change = alarms.append
    for n in range(30):
        watch.record("extract", NetworkError("HTTP 500") if n % 5 == 0 else None)
    assert [(a.broken, a.stage) for a in alarms] == [(False, "extract")]


async def test_links_of_both_platforms_keep_the_order_they_were_written_in() -> None:
    platforms = create_platforms(PipelineSettings(_env_file=None))
    try:
        found = platforms.find_links("https://www.instagram.com/p/CxYz123abc/ then "
                                     "https://www.tiktok.com/@a/video/7312345678901234567")
    finally:
        await platforms.close()
    assert [f.platform for f in found] == [Platform.INSTAGRAM, Platform.TIKTOK]
