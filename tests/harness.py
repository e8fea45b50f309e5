"""Runs the real bot (handlers.runners.run_bot: migrations, Dispatcher, polling) in the test's event loop
against the fake Telegram, so a test injects updates and asserts on the calls that reach Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from data import Repositories, create_engine, session_factory
from data.config import Settings
from handlers.runners import run_bot
from tests.fakes.telegram import FakeTelegram
from tests.fakes.world import TikTokWorld

STORAGE = -1007777  # the storage channel inline results are uploaded to
ADMIN = 9001  # the one user in ADMIN_IDS


async def eventually(check: Callable[[], object], timeout: float = 10, what: str = "condition",
                     interval: float = 0.02) -> Any:
    """Poll a check (plain or async) until it returns something truthy, and return that: for effects that
    leave no Telegram call to wait for."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(interval)


ROOT = Path(__file__).resolve().parents[1]


def start_main(args: list[str], env: dict[str, str], log: Path, *, cwd: Path | None = None) -> subprocess.Popen:
    """`python main.py ARGS` as a service manager runs it: a process group of its own, `env` as its whole
    environment, its output into `log` (a file, never a pipe nobody reads until the end)."""
    with log.open("w") as output:
        return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd or log.parent, env=env,
                                stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def stop_main(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM to its process group, a SIGKILL if it is still there after `timeout`; its exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    return exit_code(process, timeout)


def exit_code(process: subprocess.Popen, timeout: float) -> int:
    """Once it has stopped; SIGKILL to its process group (and TimeoutExpired) if it is still there after
    `timeout`, so that nothing of it outlives the test."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bot_settings(telegram: FakeTelegram, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=telegram.token,
        tg_server=telegram.base_url,
        **{"db_url": f"sqlite:///{tmp_path / 'bot.sqlite3'}", **overrides},
    )


class RunningBot:
    """The bot polling in the background, plus a view of its database for assertions."""

    def __init__(self, telegram: FakeTelegram, settings: Settings) -> None:
        self.telegram = telegram
        self.settings = settings
        self._engine = create_engine(settings.db_url)
        self.repositories = Repositories(session_factory(self._engine))
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        polls = self.telegram.polls_started  # another bot may be polling the same fake already
        self._task = asyncio.create_task(run_bot(self.settings, handle_signals=False))
        ready = (self.telegram.await_for("getWebhookInfo", count=self._webhook_checks() + 1, timeout=30)
                 if self.settings.webhook_url else self.telegram.await_polling(polls + 1))
        polling = asyncio.create_task(ready)
        await asyncio.wait({self._task, polling}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():  # start-up failed: surface its exception instead of a timeout
            polling.cancel()
            self._task.result()
        await polling

    def _webhook_checks(self) -> int:
        return len(self.telegram.calls_to("getWebhookInfo"))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._engine.dispose()


@contextlib.asynccontextmanager
async def bot_in_world(telegram: FakeTelegram, world: TikTokWorld, tmp_path: Path,
                       **overrides: object) -> AsyncIterator[RunningBot]:
    """The bot against the offline world: its proxies, its CA, a storage channel for inline mode and an admin."""
    settings = {"proxy_file": world.proxy_file, "ssl_cert_file": world.ca_path, "storage_channel_id": STORAGE,
                "admin_ids": frozenset({ADMIN})}
    async with running_bot(telegram, tmp_path, **{**settings, **overrides}) as bot:
        yield bot


@contextlib.asynccontextmanager
async def running_bot(telegram: FakeTelegram, tmp_path: Path, **overrides: object) -> AsyncIterator[RunningBot]:
    bot = RunningBot(telegram, bot_settings(telegram, tmp_path, **overrides))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def start_broadcast(telegram: FakeTelegram, text: str) -> None:
    """The admin posts `text`, replies /broadcast to it and confirms."""
    source = telegram.private_message(ADMIN, text)["message"]
    telegram.command(ADMIN, "broadcast", reply_to=source)
    confirm = (await telegram.await_for("sendMessage", timeout=10,
                                        predicate=lambda c: "Send this message to" in c.params["text"]))[-1]
    send = confirm.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.callback_query(ADMIN, send, message=confirm.result)


async def downloads(bot, count: int = 1) -> list[tuple]:
    """The recorded deliveries, once there are `count` of them (recording follows the send)."""

    async def rows() -> list[tuple]:
        async with bot._engine.connect() as connection:
            result = await connection.exec_driver_sql(
                "SELECT user_id, chat_id, surface, platform, item_id, kind, cache_hit FROM downloads ORDER BY id")
            found = [tuple(row) for row in result]
        return found if len(found) >= count else []

    return await eventually(rows)
