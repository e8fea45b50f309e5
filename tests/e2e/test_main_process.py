"""End to end: `python main.py` as a real process against the fake Telegram."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123:abc-process-token"
USER = 4242
LOGS: dict[int, Path] = {}  # each started process's output file, by pid


@pytest.fixture
def telegram():
    """This module's fake Telegram knows the bot by a token of its own, to grep the logs for it."""
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


def start_bot(telegram: FakeTelegram, tmp_path: Path, command: tuple[str, ...] = (),
              env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start the bot as its own process group, the way a terminal or a service manager runs it. Its output
    goes to a file, not a pipe: at DEBUG a start-up can print more than a pipe holds, and a pipe nobody reads
    until the end would stop the bot mid-write."""
    env = {
        **os.environ,
        **(env or {}),
        "BOT_TOKEN": TOKEN,
        "TG_SERVER": telegram.base_url,
        "DB_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "LOG_LEVEL": "DEBUG",
    }
    with (tmp_path / "bot.log").open("w") as log:
        process = subprocess.Popen(
            list(command) or [sys.executable, str(ROOT / "main.py")], cwd=tmp_path, env=env,
            stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
    LOGS[process.pid] = tmp_path / "bot.log"
    return process


def output_of(process: subprocess.Popen, timeout: float) -> str:
    """Wait for the process to end; what it printed."""
    process.wait(timeout=timeout)
    return LOGS[process.pid].read_text()


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str, float]:
    started = time.monotonic()
    os.killpg(process.pid, sig)
    output = output_of(process, 20)
    return process.returncode, output, time.monotonic() - started


async def test_bot_process_answers_commands_and_stops_cleanly_on_sigterm(telegram, tmp_path) -> None:
    process = start_bot(telegram, tmp_path)
    try:
        await telegram.await_polling(timeout=60)
        telegram.command(USER, "start")
        greeting = (await telegram.await_for("sendMessage"))[-1]
        assert greeting.ok and "Hi, Alice!" in greeting.params["text"]

        telegram.command(USER, "lang")
        menu = (await telegram.await_for("sendMessage", count=2))[-1]
        telegram.callback_query(USER, "lang:vi", message=menu.result)
        changed = (await telegram.await_for("editMessageText"))[-1]
        assert changed.ok and "tiếng Việt" in changed.params["text"]

        telegram.command(USER, "mode")
        status = (await telegram.await_for("sendMessage", count=3))[-1]
        assert status.ok and "<b>" in status.params["text"] and status.params["reply_markup"]["inline_keyboard"]
    finally:
        code, output, took = stop(process)
    assert code == 0, output
    assert took < 10, f"stopping took {took:.1f} s"
    assert "Traceback" not in output, output
    assert TOKEN.split(":")[1] not in output
    assert len(telegram.calls_to("setMyCommands")) == 9


async def test_make_run_polls_and_answers_start(telegram, tmp_path) -> None:
    """The README's first command, as a newcomer runs it (the venv already exists here), stopped with
    Ctrl+C (SIGINT to the process group)."""
    process = start_bot(telegram, tmp_path, ("make", "-s", "-C", str(ROOT), "run"))
    try:
        await telegram.await_polling(timeout=60)
        telegram.command(USER, "start")
        greeting = (await telegram.await_for("sendMessage"))[-1]
        assert greeting.ok and greeting.params["chat_id"] == USER
    finally:
        _, output, took = stop(process, signal.SIGINT)
    # make itself dies of the SIGINT; the bot under it must stop cleanly.
    assert took < 10 and "INFO bot: stopped" in output and "Traceback" not in output, output


async def test_bot_process_delivers_a_video_and_a_slideshow_from_the_offline_tiktok(telegram, tmp_path) -> None:
    """The whole product as operators run it: env from the world (PROXY_FILE with a password, SSL_CERT_FILE),
    real yt-dlp and curl_cffi in the process, image conversion in its process pool."""
    from tests.fakes import media
    from tests.fakes.world import ProxyConfig, TikTokWorld

    with TikTokWorld({"paid": ProxyConfig(username="buyer", password="pr0xy-s3cret")}) as world:
        video = world.tiktok.add_video("7312345678901234567")
        images = [media.heic(300, 400), media.jpeg(320, 480)]
        slides = world.tiktok.add_slideshow("7312345678901234568", images=images)
        process = start_bot(telegram, tmp_path, env=world.env())
        try:
            await telegram.await_polling(timeout=60)
            telegram.private_message(USER, f"{video.url} and {slides.url}")
            [sent] = await telegram.await_for("sendVideo", timeout=60)
            [album] = await telegram.await_for("sendMediaGroup", timeout=60)
        finally:
            code, output, _ = stop(process)
    assert sent.ok and sent.upload("video").data == media.sample("h264.mp4")
    uploads = [album.upload(item["media"]).data for item in album.params["media"]]
    assert uploads[1] == images[1] and uploads[0][:2] == b"\xff\xd8"  # the HEIC went out as a JPEG
    assert code == 0, output
    assert "pr0xy-s3cret" not in output and TOKEN.split(":")[1] not in output
    # Log lines of a request carry its update, chat, request and item.
    assert re.search(rf"\[update=\d+ chat={USER} request=u\d+-\d+ item=7312345678901234567\]", output), output


@contextlib.asynccontextmanager
async def delivery_under_way(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[subprocess.Popen]:
    """The bot process with a video's download under way (the CDN holds its answer for 3 s); killed at the end
    if the test has not stopped it."""
    from tests.fakes.world import TikTokWorld

    with TikTokWorld() as world:
        video = world.tiktok.add_video("7312345678901234567")
        world.tiktok.fail_next("/video/tos/", status=None, delay=3)
        process = start_bot(telegram, tmp_path, env=world.env())
        try:
            await telegram.await_polling(timeout=60)
            telegram.private_message(USER, video.url)
            await eventually(world.tiktok.cdn_hits, 60, "the download to start")
            yield process
        finally:
            if process.poll() is None:
                process.kill()


async def test_sigterm_lets_a_delivery_in_flight_finish(telegram, tmp_path) -> None:
    from tests.fakes import media

    async with delivery_under_way(telegram, tmp_path) as process:
        process.send_signal(signal.SIGTERM)
        output = output_of(process, 60)
    [sent] = telegram.calls_to("sendVideo")
    assert sent.ok and sent.upload("video").data == media.sample("h264.mp4")
    assert process.returncode == 0, output


async def test_sigusr1_logs_where_every_task_waits_and_for_which_request(telegram, tmp_path) -> None:
    """An operator's look into a delivery that seems stuck: `kill -USR1` logs each task's await chain, down to
    the innermost coroutine, with the request it works for; the bot goes on undisturbed."""
    from tests.fakes import media

    async with delivery_under_way(telegram, tmp_path) as process:
        process.send_signal(signal.SIGUSR1)
        [sent] = await telegram.await_for("sendVideo", timeout=60)
        code, output, _ = stop(process)
    assert sent.ok and sent.upload("video").data == media.sample("h264.mp4")
    assert code == 0 and "Traceback" not in output, output
    [count] = re.findall(r"bot\.stacks: (\d+) tasks at this moment:", output)
    tasks = re.findall(r"bot\.stacks: task (\S+)( request=\S+)?: (.*)", output)
    assert len(tasks) == int(count) > 1, output
    # The delivery's task, with its request, waits deep in the work (not just "in the Deliverer").
    [(_, request, chain)] = [task for task in tasks if "deliver (delivery.py" in task[2]]
    assert re.fullmatch(r" request=u\d+-\d+", request), request
    assert len(chain.split(" > ")) >= 8 and chain.index("deliver (delivery.py") < chain.index("run (flight.py"), chain
