"""Scale out, as operators run it: two `python main.py` bots in webhook mode behind a round-robin load
balancer, two `python main.py worker` processes, the real Redis and PostgreSQL, the offline TikTok. One
worker is killed (SIGKILL) in the middle of a send; nothing is lost, and a request arrives twice only when its
send was being handled by Telegram at the moment of the kill."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import aiohttp
import pytest
from redis.asyncio import Redis

from media_types.jobs import STREAM, WORKERS
from tests.e2e.scaled import CHATS, ITEMS, PROXY_PASSWORD, SECRET, TOKEN, ports_of, scaled_out
from tests.fakes import media
from tests.fakes.telegram import FakeTelegram
from tests.fakes.world import TikTokWorld
from tests.harness import eventually, start_main


@pytest.mark.parametrize("in_doubt", [False, True], ids=["send-unread", "send-handled"])
async def test_two_bots_and_two_workers_lose_nothing_when_a_worker_dies_mid_send(
        tmp_path, redis_url, postgres_url, in_doubt) -> None:
    """Killed while its upload is on the wire (`send-unread`: Telegram never has it) every request arrives once.
    Killed while Telegram handles its send (`send-handled`: Telegram has it, the answer never came back) the
    only duplicates are those very sends, each counted and logged as in doubt."""
    async with scaled_out(tmp_path, redis_url, postgres_url) as where:
        telegram = where.telegram
        where.send_load()
        await eventually(lambda: len(where.replies()) >= 30, 120, "the first 30 deliveries")

        # Kill worker1 while one of its sends is held: every media send is held from now on, so no other send
        # of worker1 can be half way through when it dies.
        telegram.hold_media_sends(answers=in_doubt)
        await eventually(lambda: set(telegram.held_ports()) & ports_of(where.processes["worker1"]), 60,
                         "a send of worker1 to be held")
        await asyncio.sleep(1)  # whatever worker1 had finished is written down by now
        where.kill("worker1")
        await asyncio.sleep(0.5)  # the fake sees worker1's connections closed
        telegram.let_go()
        await where.all_delivered()

        # Telegram delivers at least once: the same update again, through the balancer to either bot.
        repeated = where.requests[0]
        telegram.redeliver(repeated)
        late = telegram.private_message(CHATS[0], where.videos[0].url)
        await eventually(lambda: (CHATS[0], late["message"]["message_id"]) in where.replies(), 60,
                         "the request after the repeat")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{where.metrics_port}/healthz") as health:
                assert health.status == 200, await health.text()
            async with http.get(f"http://127.0.0.1:{where.metrics_port}/metrics") as metrics:
                counted_in_doubt = float(re.search(r"^bot_sends_in_doubt_total (\S+)$", await metrics.text(),
                                                   re.MULTILINE).group(1))
    outputs, codes = where.outputs(), where.codes

    counts = where.replies()
    assert set(counts) == where.asked(late)  # nothing lost
    assert telegram.abandoned_ports, "worker1 died with a send in flight"
    # Each duplicate is classified by whether its first send was in flight (handled, unanswered) at the kill.
    in_flight = {(call.params["chat_id"], call.params["reply_parameters"]["message_id"])
                 for call in telegram.unanswered if call.ok and call.method == "sendVideo"}
    duplicates = {key: count for key, count in counts.items() if count != 1}
    assert set(duplicates) == in_flight and all(count == 2 for count in duplicates.values()), (duplicates, in_flight)
    assert bool(in_flight) == in_doubt
    # worker2 took over every job of worker1 and repeated each send worker1 had in flight, not knowing whether
    # Telegram had it: those are the sends in doubt (the ones Telegram had are the duplicates above).
    killed_sends = len(telegram.abandoned_ports)
    assert counted_in_doubt == killed_sends
    assert outputs["worker2"].count("was in flight when the earlier run's process died") == killed_sends
    print(f"\nworker killed ({'send handled' if in_doubt else 'upload unread'}): {len(counts)} delivered, 0 lost, "
          f"{len(duplicates)} duplicated (all in flight at the kill), {killed_sends} sends in doubt; longest wait "
          f"{where.longest_wait():.1f} s")
    assert re.search(r"took over \d+ job\(s\) left unacknowledged", outputs["worker2"])
    assert any(status == 200 for update_id, status in telegram.webhook_deliveries
               if update_id == repeated["update_id"])
    assert sum(1 for update_id, _ in telegram.webhook_deliveries if update_id == repeated["update_id"]) >= 2
    uploads = [call.upload("video") for call in telegram.calls_to("sendVideo") if call.ok and call.files]
    assert uploads and all(upload.data == media.sample("h264.mp4") for upload in uploads)
    assert len(uploads) < ITEMS + 5  # each item fetched about once across both workers (single flight)
    assert len(telegram.calls_to("setWebhook")) == 1
    assert set(where.balancer.forwarded) == set(where.balancer.backends)
    assert codes["worker1"] == -signal.SIGKILL
    assert all(codes[name] == 0 for name in ("bot1", "bot2", "worker2")), outputs
    for name, output in outputs.items():
        assert TOKEN.split(":")[1] not in output and PROXY_PASSWORD not in output and SECRET not in output, name
        assert "Traceback" not in output, output


async def test_a_worker_stopped_mid_delivery_puts_the_job_back_for_the_next_one(
        tmp_path, redis_url, postgres_url) -> None:
    with TikTokWorld() as world, FakeTelegram(token=TOKEN) as telegram:
        video = world.tiktok.add_video("7400000000000000999")
        world.tiktok.fail_next("/video/tos/", status=None, delay=5)  # the CDN is slow to answer
        env = {**os.environ, **world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url, "DB_URL": postgres_url,
               "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "SHUTDOWN_GRACE_SECONDS": "0.5"}
        logs = {name: tmp_path / f"{name}.log" for name in ("bot", "first", "second")}
        bot = start_main([], env, logs["bot"])
        first = start_main(["worker"], env, logs["first"])
        second = None
        try:
            await telegram.await_polling(timeout=90)
            await eventually(lambda: "taking delivery jobs" in logs["first"].read_text(), 90, "the first worker")
            request = telegram.private_message(CHATS[0], video.url)
            await eventually(world.tiktok.cdn_hits, 60, "the download to start")
            os.killpg(first.pid, signal.SIGTERM)
            assert first.wait(timeout=30) == 0
            assert telegram.calls_to("sendVideo") == []
            second = start_main(["worker"], env, logs["second"])
            [sent] = await telegram.await_for("sendVideo", timeout=90)
        finally:
            for process in (bot, first, second):
                if process is not None and process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=60)
    redis = Redis.from_url(redis_url)
    try:  # both workers left with nothing pending: neither stays listed in the consumer group
        assert await redis.xinfo_consumers(STREAM, WORKERS) == []
    finally:
        await redis.aclose()
    assert "handed back to the queue" in logs["first"].read_text()
    assert "took over" not in logs["second"].read_text()  # a fresh job, not a redelivery after a timeout
    assert sent.ok and sent.params["reply_parameters"]["message_id"] == request["message"]["message_id"]
    assert sent.upload("video").data == media.sample("h264.mp4")
    assert telegram.calls_to("sendMessage") == []  # nobody was told to try again: the job was never lost


async def test_a_job_longer_than_the_redelivery_time_stays_with_its_live_worker(
        tmp_path, redis_url, postgres_url) -> None:
    with TikTokWorld() as world, FakeTelegram(token=TOKEN) as telegram:
        video = world.tiktok.add_video("7400000000000000998")
        world.tiktok.fail_next("/video/tos/", status=None, delay=6)  # three times WORKER_REDELIVERY_SECONDS
        env = {**os.environ, **world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url, "DB_URL": postgres_url,
               "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "WORKER_REDELIVERY_SECONDS": "2"}
        logs = {name: tmp_path / f"{name}.log" for name in ("bot", "first", "second")}
        processes = [start_main([], env, logs["bot"]), start_main(["worker"], env, logs["first"]),
                     start_main(["worker"], env, logs["second"])]
        try:
            await telegram.await_polling(timeout=90)
            await eventually(lambda: all("taking delivery jobs" in logs[w].read_text() for w in ("first", "second")),
                             90, "both workers")
            telegram.private_message(CHATS[0], video.url)
            await telegram.await_for("sendVideo", timeout=60)
            await asyncio.sleep(2)  # time for a wrongly taken-over copy to send again
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
    assert len(telegram.calls_to("sendVideo")) == 1
    assert len(world.tiktok.cdn_hits()) <= 2  # the video and its cover, fetched once
    assert not any("took over" in log.read_text() for log in logs.values())
