"""Scale out, as operators run it: two `python main.py` bots in webhook mode behind a round-robin load
balancer, two `python main.py worker` processes, the real Redis and PostgreSQL, the offline TikTok. One
worker is killed (SIGKILL) in the middle of a send; nothing is lost, and a request arrives twice only when its
send was being handled by Telegram at the moment of the kill."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import psutil
import pytest
from redis.asyncio import Redis

from media_types.jobs import STREAM, WORKERS
from tests.fakes import media
from tests.fakes.balancer import RoundRobinBalancer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.world import ProxyConfig, TikTokWorld
from tests.harness import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "4321:scale-out-process-token"
SECRET = "balanced-hook-secret"
PROXY_PASSWORD = "sc4le-pr0xy-pass"
CHATS = [7000 + n for n in range(20)]
LINKS_PER_CHAT = 5
ITEMS = 25  # 100 requests for 25 videos: each asked by four chats, often at the same moment


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *command], cwd=log.parent,
                                env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def ports_of(process: subprocess.Popen) -> set[int]:
    return {c.laddr.port for c in psutil.Process(process.pid).net_connections(kind="tcp") if c.laddr}


def replies(telegram: FakeTelegram) -> dict[tuple[int, int], int]:
    """Successful sendVideo calls per (chat, message replied to)."""
    counts: dict[tuple[int, int], int] = {}
    for call in telegram.calls_to("sendVideo"):
        if call.ok:
            key = (call.params["chat_id"], call.params["reply_parameters"]["message_id"])
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize("in_doubt", [False, True], ids=["send-unread", "send-handled"])
async def test_two_bots_and_two_workers_lose_nothing_when_a_worker_dies_mid_send(
        tmp_path, redis_url, postgres_url, in_doubt) -> None:
    """Killed while its upload is on the wire (`send-unread`: Telegram never has it) every request arrives once.
    Killed while Telegram handles its send (`send-handled`: Telegram has it, the answer never came back) the
    only duplicates are those very sends, each counted and logged as in doubt."""
    bot_ports, metrics_port = [free_port(), free_port()], free_port()
    with (TikTokWorld({"paid": ProxyConfig(username="buyer", password=PROXY_PASSWORD)}) as world,
          FakeTelegram(token=TOKEN) as telegram,
          RoundRobinBalancer([f"http://127.0.0.1:{port}" for port in bot_ports]) as balancer):
        videos = [world.tiktok.add_video(str(7400000000000000000 + n)) for n in range(ITEMS)]
        world.tiktok.shape("cdn", latency=0.2, bandwidth=2e6)  # downloads take a moment: work is in flight
        env = {**world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url, "DB_URL": postgres_url,
               "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "WEBHOOK_URL": f"{balancer.url}/hook",
               "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1", "MAX_USER_QUEUE_SIZE": "10",
               "MAX_CONCURRENT_DELIVERIES": "4", "WORKER_REDELIVERY_SECONDS": "3",
               "SHUTDOWN_GRACE_SECONDS": "5"}
        logs = {name: tmp_path / f"{name}.log" for name in ("bot1", "bot2", "worker1", "worker2")}
        processes = {
            "bot1": start([], {**env, "WEBHOOK_PORT": str(bot_ports[0])}, logs["bot1"]),
            "bot2": start([], {**env, "WEBHOOK_PORT": str(bot_ports[1])}, logs["bot2"]),
            "worker1": start(["worker"], env, logs["worker1"]),
            "worker2": start(["worker"], {**env, "METRICS_PORT": str(metrics_port)}, logs["worker2"]),
        }
        try:
            await eventually(lambda: all("webhook" in logs[b].read_text() for b in ("bot1", "bot2"))
                             and all("taking delivery jobs" in logs[w].read_text() for w in ("worker1", "worker2")),
                             90, "every process to start")
            requests = [telegram.private_message(chat, videos[(i * LINKS_PER_CHAT + k) % ITEMS].url)
                        for k in range(LINKS_PER_CHAT) for i, chat in enumerate(CHATS)]
            await eventually(lambda: len(replies(telegram)) >= 30, 120, "the first 30 deliveries")

            # Kill worker1 while one of its uploads is on the wire: every media send is held unread from
            # now on, so no other send of worker1 can be half way through when it dies.
            telegram.hold_media_sends(answers=in_doubt)
            victim = processes["worker1"]
            await eventually(lambda: set(telegram.held_ports()) & ports_of(victim), 60,
                             "an upload of worker1 to be held")
            await asyncio.sleep(1)  # whatever worker1 had finished is written down by now
            os.killpg(victim.pid, signal.SIGKILL)  # with its image workers
            victim.wait(timeout=10)
            await asyncio.sleep(0.5)  # the fake sees worker1's connections closed
            telegram.let_go()
            await eventually(lambda: len(replies(telegram)) >= len(requests), 180, "every request delivered")

            # Telegram delivers at least once: the same update again, through the balancer to either bot.
            repeated = requests[0]
            telegram.redeliver(repeated)
            late = telegram.private_message(CHATS[0], videos[0].url)
            await eventually(lambda: (CHATS[0], late["message"]["message_id"]) in replies(telegram), 60,
                             "the request after the repeat")
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as health:
                    assert health.status == 200, await health.text()
                async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as metrics:
                    counted_in_doubt = float(re.search(r"^bot_sends_in_doubt_total (\S+)$", await metrics.text(),
                                                       re.MULTILINE).group(1))
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            codes = {name: process.wait(timeout=60) for name, process in processes.items()}
        outputs = {name: log.read_text() for name, log in logs.items()}

    counts = replies(telegram)
    expected = {(r["message"]["chat"]["id"], r["message"]["message_id"]) for r in [*requests, late]}
    assert set(counts) == expected  # nothing lost
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
    assert re.search(r"took over \d+ job\(s\) left unacknowledged", outputs["worker2"])
    assert any(status == 200 for update_id, status in telegram.webhook_deliveries
               if update_id == repeated["update_id"])
    assert sum(1 for update_id, _ in telegram.webhook_deliveries if update_id == repeated["update_id"]) >= 2
    uploads = [call.upload("video") for call in telegram.calls_to("sendVideo") if call.ok and call.files]
    assert uploads and all(upload.data == media.sample("h264.mp4") for upload in uploads)
    assert len(uploads) < ITEMS + 5  # each item fetched about once across both workers (single flight)
    assert len(telegram.calls_to("setWebhook")) == 1
    assert set(balancer.forwarded) == {f"http://127.0.0.1:{port}" for port in bot_ports}
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
        env = {**world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url, "DB_URL": postgres_url,
               "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "SHUTDOWN_GRACE_SECONDS": "0.5"}
        logs = {name: tmp_path / f"{name}.log" for name in ("bot", "first", "second")}
        bot = start([], env, logs["bot"])
        first = start(["worker"], env, logs["first"])
        second = None
        try:
            await telegram.await_polling(timeout=90)
            await eventually(lambda: "taking delivery jobs" in logs["first"].read_text(), 90, "the first worker")
            request = telegram.private_message(CHATS[0], video.url)
            await eventually(world.tiktok.cdn_hits, 60, "the download to start")
            os.killpg(first.pid, signal.SIGTERM)
            assert first.wait(timeout=30) == 0
            assert telegram.calls_to("sendVideo") == []
            second = start(["worker"], env, logs["second"])
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
        env = {**world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url, "DB_URL": postgres_url,
               "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "WORKER_REDELIVERY_SECONDS": "2"}
        logs = {name: tmp_path / f"{name}.log" for name in ("bot", "first", "second")}
        processes = [start([], env, logs["bot"]), start(["worker"], env, logs["first"]),
                     start(["worker"], env, logs["second"])]
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
