"""The scaled-out set as operators run it, for the fault tests: two `python main.py` bots in webhook mode behind a
round-robin load balancer, two `python main.py worker` processes, Redis and PostgreSQL, the offline TikTok with
its CDN slowed down (so work is in flight when a fault strikes) and the load of 100 requests from 20 chats for
25 videos."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.fakes.balancer import RoundRobinBalancer
from tests.fakes.outage import Outage
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tiktok import Post
from tests.fakes.world import ProxyConfig, TikTokWorld
from tests.harness import eventually, exit_code, free_port, start_main

TOKEN = "4321:scale-out-process-token"
SECRET = "balanced-hook-secret"
PROXY_PASSWORD = "sc4le-pr0xy-pass"
CHATS = [7000 + n for n in range(20)]
LINKS_PER_CHAT = 5
ITEMS = 25  # 100 requests for 25 videos: each asked by four chats, often at the same moment
PROCESSES = ("bot1", "bot2", "worker1", "worker2")


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


def _replying_to(params: dict[str, Any]) -> str:
    reply = params.get("reply_parameters")
    return f" (reply to {reply['message_id']})" if isinstance(reply, dict) else ""


@dataclass
class ScaledOut:
    world: TikTokWorld
    telegram: FakeTelegram
    bot_api: Outage  # the processes' way to the fake Telegram, which a test can cut
    balancer: RoundRobinBalancer
    env: dict[str, str]
    logs: dict[str, Path]
    metrics_port: int
    videos: list[Post]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    sent_at: float = 0.0

    def send_load(self) -> None:
        """Every chat sends its five links, round by round."""
        self.sent_at = time.monotonic()
        self.requests += [self.telegram.private_message(chat, self.videos[(i * LINKS_PER_CHAT + k) % ITEMS].url)
                          for k in range(LINKS_PER_CHAT) for i, chat in enumerate(CHATS)]

    def replies(self) -> dict[tuple[int, int], int]:
        return replies(self.telegram)

    def asked(self, *more: dict[str, Any]) -> set[tuple[int, int]]:
        """(chat, message) of every request sent."""
        return {(r["message"]["chat"]["id"], r["message"]["message_id"]) for r in [*self.requests, *more]}

    async def all_delivered(self, timeout: float = 180) -> None:
        try:
            await eventually(lambda: set(self.replies()) >= self.asked(), timeout, "every request delivered")
        except AssertionError:
            await self.dump_tasks()
            raise AssertionError(f"not delivered within {timeout} s:\n{self.trace_of_missing()}") from None

    async def dump_tasks(self) -> None:
        """Every live process logs what each of its tasks waits on (handlers.runners.stacks)."""
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGUSR1)
        await asyncio.sleep(1)

    def trace_of_missing(self) -> str:
        """For each request without its video: what its chat got from the bot and every log line of its
        update or its chat (the requests before it there), then what every task was waiting on, so a failure
        explains itself."""
        delivered, outputs = self.replies(), self.outputs()
        lines: list[str] = []
        for request in self.requests:
            update, chat = request["update_id"], request["message"]["chat"]["id"]
            if (chat, request["message"]["message_id"]) in delivered:
                continue
            lines.append(f"update {update}, chat {chat}:")
            lines += [f"  telegram: {call.method}{_replying_to(call.params)} -> {call.error or 'ok'}"
                      for call in self.telegram.calls if call.params.get("chat_id") == chat]
            lines += [f"  {name}: {line}" for name, output in outputs.items() for line in output.splitlines()
                      if re.search(rf"\bupdate[= ]{update}\b|request=u{update}-|chat={chat}\b", line)]
        lines += [f"  {name}: {line}" for name, output in outputs.items() for line in output.splitlines()
                  if "bot.stacks" in line]
        return "\n".join(lines)

    def assert_each_delivered_once(self, *, but_in_doubt: bool = False) -> None:
        """Nothing lost, nothing twice. `but_in_doubt`: twice only where a send of that very request went again
        not knowing whether it had arrived (its connection broke before Telegram answered), as its log says."""
        counts = self.replies()
        assert set(counts) == self.asked()
        twice = {key: count for key, count in counts.items() if count != 1}
        if but_in_doubt:
            doubted = self.in_doubt()
            twice = {key: count for key, count in twice.items() if key not in doubted or count > 2}
        assert not twice, twice

    def in_doubt(self) -> set[tuple[int, int]]:
        """(chat, message) of the requests with a send repeated in doubt, from the processes' logs."""
        lines = [line for output in self.outputs().values() for line in output.splitlines()
                 if "may arrive twice" in line]
        return {(r["message"]["chat"]["id"], r["message"]["message_id"]) for r in self.requests
                if any(f"request=u{r['update_id']}-" in line for line in lines)}

    def longest_wait(self) -> float:
        """Seconds from the load being sent to the last request's first delivery: the longest a user waited."""
        first: dict[tuple[int, int], float] = {}
        for call in self.telegram.calls_to("sendVideo"):
            if call.ok:
                key = (call.params["chat_id"], call.params["reply_parameters"]["message_id"])
                first[key] = min(first.get(key, call.done_at), call.done_at)
        return max(at for key, at in first.items() if key in self.asked()) - self.sent_at

    def kill(self, name: str) -> None:
        """SIGKILL, with its image and video workers."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def outputs(self) -> dict[str, str]:
        return {name: log.read_text() for name, log in self.logs.items()}


@contextlib.asynccontextmanager
async def scaled_out(tmp_path: Path, redis_url: str, postgres_url: str, *, cuttable_bot_api: bool = False,
                     **env: str) -> AsyncIterator[ScaledOut]:
    """The set, started and ready; stopped with SIGTERM at the end (exit codes in `codes`). With
    `cuttable_bot_api` the processes reach Telegram through `bot_api`, which the test can take down."""
    bot_ports, metrics_port = [free_port(), free_port()], free_port()
    with (TikTokWorld({"paid": ProxyConfig(username="buyer", password=PROXY_PASSWORD)}) as world,
          FakeTelegram(token=TOKEN) as telegram, Outage(telegram.address) as bot_api,
          RoundRobinBalancer([f"http://127.0.0.1:{port}" for port in bot_ports]) as balancer):
        # Only a test that cuts the Bot API goes through the forwarder: the others see each process's own ports.
        api_url = bot_api.url if cuttable_bot_api else telegram.base_url
        videos = [world.tiktok.add_video(str(7400000000000000000 + n)) for n in range(ITEMS)]
        world.tiktok.shape("cdn", latency=0.2, bandwidth=2e6)  # downloads take a moment: work is in flight
        common = {**world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": api_url, "DB_URL": postgres_url,
                  "REDIS_URL": redis_url, "LOG_LEVEL": "INFO", "WEBHOOK_URL": f"{balancer.url}/hook",
                  "WEBHOOK_SECRET": SECRET, "WEBHOOK_HOST": "127.0.0.1", "MAX_USER_QUEUE_SIZE": "10",
                  "MAX_CONCURRENT_DELIVERIES": "4", "WORKER_REDELIVERY_SECONDS": "3",
                  "SHUTDOWN_GRACE_SECONDS": "5", **env}
        logs = {name: tmp_path / f"{name}.log" for name in PROCESSES}
        where = ScaledOut(world, telegram, bot_api, balancer, common, logs, metrics_port, videos)
        where.processes = {
            "bot1": start_main([], {**os.environ, **common, "WEBHOOK_PORT": str(bot_ports[0])}, logs["bot1"]),
            "bot2": start_main([], {**os.environ, **common, "WEBHOOK_PORT": str(bot_ports[1])}, logs["bot2"]),
            "worker1": start_main(["worker"], {**os.environ, **common}, logs["worker1"]),
            "worker2": start_main(["worker"], {**os.environ, **common, "METRICS_PORT": str(metrics_port)},
                                  logs["worker2"]),
        }
        try:
            await eventually(lambda: all("webhook" in logs[b].read_text() for b in ("bot1", "bot2"))
                             and all("taking delivery jobs" in logs[w].read_text() for w in ("worker1", "worker2")),
                             90, "every process to start")
            yield where
        finally:
            await where.dump_tasks()  # in the logs: what was still running at the end, if anything
            for process in where.processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            # One still there after a minute is killed: nothing of this set may take jobs from the next test's
            # queue (the same Redis database).
            where.codes = {name: exit_code(process, 60) for name, process in where.processes.items()}
