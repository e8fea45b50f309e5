"""Load and abuse: single-flight bursts, floods, Telegram's rate limits, admin tools, broadcasts,
graceful shutdown and metrics, through the real bot against the fakes."""

from __future__ import annotations

import asyncio
import csv
import io
import socket
from collections import Counter

import aiohttp
import pytest
from prometheus_client import REGISTRY

from data.models import BroadcastStatus
from tests.fakes import media
from tests.fakes.tiktok import VideoFormat as FakeFormat
from tests.harness import ADMIN, RunningBot, bot_in_world, bot_settings, eventually, start_broadcast

USER, OTHER, GROUP = 5001, 5002, -1009001
VIDEO_ID = "7312345678901234567"

pytestmark = pytest.mark.usefixtures("trust_world")


def texts(telegram, chat_id: int) -> list[str]:
    return [c.params["text"] for c in telegram.calls_to("sendMessage") if c.params["chat_id"] == chat_id]


async def test_a_burst_of_fifty_chats_downloads_the_item_once(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID)
    async with bot_in_world(telegram, world, tmp_path):
        for user in range(100, 150):
            telegram.private_message(user, post.url)
        sends = await telegram.await_for("sendVideo", count=50, timeout=60)
    assert sorted(call.params["chat_id"] for call in sends) == list(range(100, 150))
    assert all(call.ok for call in sends)
    uploads = [call for call in sends if call.upload("video") is not None]
    assert len(uploads) == 1 and uploads[0].upload("video").data == media.sample("h264.mp4")
    assert len(world.tiktok.hits(f"/video/{VIDEO_ID}")) == 1
    assert len([hit for hit in world.tiktok.cdn_hits() if "/video/tos/" in hit.path]) == 1


async def test_a_flooding_user_is_muted_once_and_others_are_still_served(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID)
    async with bot_in_world(telegram, world, tmp_path, spam_max_links=8, spam_window_seconds=10):
        for _ in range(30):
            telegram.private_message(USER, post.url)
        telegram.private_message(OTHER, post.url)
        await telegram.await_for("sendVideo", timeout=30, predicate=lambda c: c.params["chat_id"] == OTHER)
        # What passed the guard is queued and served, at the chat's pace, not refused.
        served = await telegram.await_for("sendVideo", count=8, timeout=60,
                                          predicate=lambda c: c.params["chat_id"] == USER)
        await asyncio.sleep(1)  # nothing more comes
        mutes = [text for text in texts(telegram, USER) if "a lot of links" in text]
        refused = [text for text in texts(telegram, USER) if "several links in progress" in text]
    assert len(mutes) == 1 and refused == []
    assert len(served) == len([c for c in telegram.calls_to("sendVideo") if c.params["chat_id"] == USER]) == 8


async def test_in_flight_limit_refuses_with_a_retry_button_that_works(telegram, world, tmp_path):
    slow = world.tiktok.add_video(VIDEO_ID)
    others = [world.tiktok.add_video(f"73123456789012345{n:02d}") for n in range(70, 72)]
    world.tiktok.fail_next("/video/tos/", status=None, delay=1.5, times=3)
    async with bot_in_world(telegram, world, tmp_path, max_user_queue_size=2):
        telegram.private_message(USER, f"{slow.url} {others[0].url} {others[1].url}")
        refusal = (await telegram.await_for("sendMessage", timeout=30))[-1]
        [[button]] = refusal.params["reply_markup"]["inline_keyboard"]
        await telegram.await_for("sendVideo", count=2, timeout=30)
        # The user presses the button once the two videos are there; pressed a moment too early (the bot
        # still writing the first two down), it says "wait" again, and a second press works.
        for _ in range(5):
            refusals = len(telegram.calls_to("sendMessage"))
            telegram.callback_query(USER, button["callback_data"], message=refusal.result)

            async def answered(refusals: int = refusals) -> bool:
                return len(telegram.calls_to("sendVideo")) == 3 or len(telegram.calls_to("sendMessage")) > refusals

            await eventually(answered, timeout=30)
            if len(telegram.calls_to("sendVideo")) == 3:
                break
            await asyncio.sleep(0.3)
        third = telegram.calls_to("sendVideo")[-1]
    assert "several links in progress" in refusal.params["text"] and button["callback_data"].startswith("rt:tiktok:")
    assert third.ok


async def test_outbound_limiter_keeps_to_telegrams_rates(telegram, world, tmp_path):
    flood = telegram.enforce_flood_limits()
    async with bot_in_world(telegram, world, tmp_path):
        for user in range(200, 240):
            telegram.command(user, "help")
        private = await telegram.await_for("sendMessage", count=40, timeout=30)
        telegram.reset_calls()
        for user in range(300, 321):
            telegram.command(user, "help", chat_id=GROUP, mention=True)
        group = await telegram.await_for("sendMessage", count=20, timeout=60)
        await asyncio.sleep(2)
        held_back = len(telegram.calls_to("sendMessage"))
    # 30 a second overall: the 40 answers take more than a second, and Telegram refused none of them.
    private_times = sorted(call.at for call in private)
    assert private_times[-1] - private_times[0] >= 0.9 and flood.refused == 0
    # A group takes 20 a minute: the 21st answer waits for the first of them to leave the minute.
    assert len(group) == 20 and held_back == 20


async def test_non_admins_get_nothing_from_admin_commands_and_buttons(telegram, world, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        await bot.repositories.chats.register(USER, "private")
        for command in ("stats", "export", "broadcast"):
            telegram.command(USER, command)
        source = telegram.private_message(USER, "hello everyone")["message"]
        telegram.command(USER, "broadcast", reply_to=source)
        draft = await bot.repositories.broadcasts.create(ADMIN, ADMIN, 1)
        telegram.callback_query(USER, f"bc:{draft}:1", message={
            "message_id": 1, "date": 0, "chat": {"id": USER, "type": "private"}, "text": "x"})
        await telegram.await_for("answerCallbackQuery", timeout=10)
        await telegram.await_for("sendMessage", count=5, timeout=10)  # each is answered as text without a link
        assert (await bot.repositories.broadcasts.get(draft)).status is BroadcastStatus.DRAFT
    assert telegram.calls_to("sendPhoto") == [] and telegram.calls_to("sendDocument") == []
    assert telegram.calls_to("copyMessage") == []
    assert all("Statistics" not in text and "Send this message to" not in text for text in texts(telegram, USER))


async def test_admin_gets_stats_with_a_chart_and_a_csv_export(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID)
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, post.url, language_code="uk")
        await telegram.await_for("sendVideo", timeout=30)
        await eventually(bot.repositories.stats.collect, timeout=10)
        telegram.command(ADMIN, "start", "ads_1")
        await telegram.await_for("sendMessage", timeout=10)
        telegram.command(ADMIN, "stats")
        [chart] = await telegram.await_for("sendPhoto", timeout=30)
        telegram.command(ADMIN, "export")
        [export] = await telegram.await_for("sendDocument", timeout=30)
    stats = next(text for text in texts(telegram, ADMIN) if "Statistics" in text)
    assert "Downloads: 24 h 1" in stats and "tiktok 1" in stats and "video 1" in stats
    assert "Proxies (this process)" in stats and "tiktok: http://127.0.0.1:" in stats and " healthy (" in stats
    assert chart.upload("photo").data[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.reader(io.StringIO(export.upload("document").data.decode())))
    assert rows[0][:2] == ["id", "kind"] and [int(rows[1][0]), rows[1][5]] == [ADMIN, "ads_1"]
    assert rows[0][-1] == "slideshow_video" and rows[1][-1] == "0"


async def test_an_admins_failed_request_comes_with_the_details(telegram, world, tmp_path):
    gone = world.tiktok.add_unavailable(VIDEO_ID, 10222)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(ADMIN, gone)
        await telegram.await_for("sendMessage", count=2, timeout=30)
    detail = next(text for text in texts(telegram, ADMIN) if "failed" in text)
    assert "Stage: extract" in detail and "Proxy: http://127.0.0.1:" in detail and "ItemPrivateError" in detail


async def test_broadcast_interrupted_and_resumed_reaches_everyone_once(telegram, world, tmp_path):
    audience = list(range(1000, 1100))
    async with bot_in_world(telegram, world, tmp_path) as bot:
        for chat_id in audience:
            await bot.repositories.chats.register(chat_id, "private")
        await bot.repositories.chats.register(ADMIN, "private")
        await start_broadcast(telegram, "📣 news for everyone")
        await telegram.await_for("copyMessage", count=10, timeout=30)
    interrupted = len([c for c in telegram.calls_to("copyMessage") if c.ok])
    assert interrupted < len(audience) + 1
    async with bot_in_world(telegram, world, tmp_path):
        await telegram.await_for("editMessageText", timeout=60,
                                 predicate=lambda c: "Broadcast finished" in c.params["text"])
    copies = Counter(c.params["chat_id"] for c in telegram.calls_to("copyMessage") if c.ok)
    assert set(copies) == {*audience, ADMIN} and set(copies.values()) == {1}


async def test_one_replica_runs_a_broadcast_and_another_carries_it_on(telegram, world, tmp_path, redis_url,
                                                                        postgres_url, monkeypatch):
    """Two bot processes sharing Redis and PostgreSQL: the one running a broadcast keeps it, the other
    leaves it alone until the first stops, then carries it on; every chat gets one copy."""
    from media_types import broadcast

    monkeypatch.setattr(broadcast, "ADOPT_EVERY", 0.3)
    audience = list(range(2000, 2200))  # at 30 copies a second, about seven seconds of work
    settings = {"proxy_file": world.proxy_file, "ssl_cert_file": world.ca_path, "admin_ids": frozenset({ADMIN}),
                "redis_url": redis_url, "db_url": postgres_url}
    first = RunningBot(telegram, bot_settings(telegram, tmp_path, **settings))
    second = RunningBot(telegram, bot_settings(telegram, tmp_path, **settings))
    await first.start()
    try:
        for chat_id in audience:
            await first.repositories.chats.register(chat_id, "private")
        source = telegram.private_message(ADMIN, "📣 news")["message"]
        started = await first.repositories.broadcasts.create(ADMIN, ADMIN, source["message_id"])
        await first.repositories.broadcasts.set_status(started, BroadcastStatus.RUNNING,
                                                       only_from=BroadcastStatus.DRAFT)
        await telegram.await_for("copyMessage", count=5, timeout=30)
        await second.start()
        await asyncio.sleep(1)  # three looks by the second replica for broadcasts nobody runs
        runners_meanwhile = len(progress_messages(telegram))
    finally:
        await first.stop()
    try:
        stopped_at = len(telegram.calls_to("copyMessage"))
        await telegram.await_for("editMessageText", timeout=60,
                                 predicate=lambda c: "Broadcast finished" in c.params["text"])
    finally:
        await second.stop()
    assert runners_meanwhile == 1  # while the first ran it, the second left it alone
    assert stopped_at < len(audience)  # the first was stopped mid-way...
    assert len(progress_messages(telegram)) == 2  # ...and the second carried it on
    copies = Counter(c.params["chat_id"] for c in telegram.calls_to("copyMessage") if c.ok)
    assert set(copies) == set(audience) and set(copies.values()) == {1}


def progress_messages(telegram) -> list:
    """Each process that runs a broadcast opens with a progress message to the admin."""
    return [c for c in telegram.calls_to("sendMessage")
            if c.params["chat_id"] == ADMIN and c.params["text"].startswith("📣 Broadcast:")]


async def queued() -> bool:
    """A request waits for a delivery slot (the bot's own gauge, read through the metrics registry)."""
    return (REGISTRY.get_sample_value("bot_queue_depth", {"state": "waiting"}) or 0) >= 1


async def test_shutdown_finishes_work_in_flight_and_tells_waiting_chats(telegram, world, tmp_path):
    slow = world.tiktok.add_video(VIDEO_ID)
    waiting = world.tiktok.add_video("7312345678901234599")
    world.tiktok.fail_next("/video/tos/", status=None, delay=2)
    async with bot_in_world(telegram, world, tmp_path, max_concurrent_deliveries=1, shutdown_grace_seconds=15):
        telegram.private_message(USER, slow.url)
        await eventually(lambda: asyncio.sleep(0, result=bool(world.tiktok.cdn_hits())), timeout=30)
        telegram.private_message(OTHER, waiting.url)
        await eventually(queued)
    [video] = telegram.calls_to("sendVideo")
    assert video.ok and video.params["chat_id"] == USER
    assert any("restarting" in text for text in texts(telegram, OTHER))


async def test_metrics_and_health_are_served_over_http(telegram, world, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    post = world.tiktok.add_video(VIDEO_ID, formats=[FakeFormat(codec="h264")])
    async with bot_in_world(telegram, world, tmp_path, metrics_port=port):
        telegram.private_message(USER, post.url)
        await telegram.await_for("sendVideo", timeout=30)
        async with aiohttp.ClientSession() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status == 200 and (await health.json())["status"] == "ok"

            async def delivered() -> str | None:
                text = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
                return text if 'outcome="ok"' in text else None

            metrics = await eventually(delivered)
    assert 'bot_deliveries_total{kind="video",outcome="ok",platform="tiktok",surface="private"}' in metrics
    assert 'bot_stage_seconds_count{outcome="ok",stage="extract"}' in metrics
    assert "bot_queue_depth" in metrics and "bot_proxy_failures_total" in metrics


async def test_a_chats_places_come_back_even_when_telling_it_about_a_failure_fails(telegram, world, tmp_path):
    """Telegram failing the error report (a 500) must not keep the failed request's place in the chat's
    queue: the chat can still have its full quota in flight afterwards."""
    gone = world.tiktok.add_unavailable("7312345678901234599", 10204)
    videos = [world.tiktok.add_video(f"73123456789012345{n:02d}") for n in range(80, 82)]
    telegram.fail_next("sendMessage", error_code=500, times=1, predicate=lambda p: p["chat_id"] == USER)
    async with bot_in_world(telegram, world, tmp_path, max_user_queue_size=2):
        telegram.private_message(USER, gone)
        await telegram.await_for("sendMessage", timeout=30, predicate=lambda c: not c.ok)
        telegram.private_message(USER, f"{videos[0].url} {videos[1].url}")
        await telegram.await_for("sendVideo", count=2, timeout=60)
    assert not any("several links in progress" in c.params["text"] for c in telegram.calls_to("sendMessage"))
