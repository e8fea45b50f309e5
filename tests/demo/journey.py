"""The demo's world and its user: the offline TikTok and Instagram with a few posts, the fake Telegram, the real
bot process, and the steps one user takes (or, with --interactive, the links they type)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.config import Settings
from tests.demo.show import Shower
from tests.fakes import media
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.tiktok import Music
from tests.fakes.world import TikTokWorld
from tests.harness import start_main, stop_main

TOKEN = "777000111:demo-token"  # the fake Telegram's
USER, GROUP, STORAGE = 4100, -1004100, -1004199
SETTLE = 0.8  # seconds of quiet after a step's last expected call, for what follows it (buttons, notes)
STEP_TIMEOUT = 60.0
MEDIA_METHODS = {"sendVideo", "sendPhoto", "sendAudio", "sendDocument", "sendMediaGroup", "editMessageMedia",
                 "answerGuestQuery"}


@dataclass
class Posts:
    """What the offline world publishes for the demo, by the links a user would paste."""

    video: str
    video_id: str
    slideshow: str
    other_video: str
    inline_video: str
    reel: str
    carousel: str
    deleted: str

    @classmethod
    def publish(cls, world: TikTokWorld) -> Posts:
        tiktok, instagram = world.tiktok, world.instagram
        video = tiktok.add_video("7400000000000000101", user="dancer", desc="Morning routine <3 #dance",
                                 music=Music(title="Sunny Loop", author="DJ Demo"))
        colours = ((230, 90, 60), (60, 170, 230), (250, 200, 60), (120, 200, 120))
        slideshow = tiktok.add_slideshow("7400000000000000102", user="traveller", desc="Four days in the Alps",
                                         images=[media.jpeg(720, 960, colour) for colour in colours],
                                         music=Music(title="Mountain Air", author="Trio"))
        other = tiktok.add_video("7400000000000000103", user="chef", desc="One-pan pasta")
        inline = tiktok.add_video("7400000000000000104", user="cat", desc="The cat again")
        reel = instagram.add_reel("DemoReel01", user="surfer", caption="Big wave day")
        carousel = instagram.add_carousel("DemoCarou1", user="painter", caption="Studio, three views",
                                          items=[("photo", None), ("video", None), ("photo", None)])
        return cls(video=tiktok.add_short_link("ZMdemo001", video.url), video_id=video.item["id"],
                   slideshow=tiktok.add_short_link("ZMdemo002", slideshow.url), other_video=other.url,
                   inline_video=inline.url, reel=reel.url, carousel=carousel.url,
                   deleted=tiktok.add_unavailable("7400000000000000105", 10204, user="gone"))


@contextlib.contextmanager
def bot_process(telegram: FakeTelegram, world: TikTokWorld, log: Path) -> Iterator[subprocess.Popen]:
    """`python main.py` with the ordinary environment contract, pointed at the offline world; stopped with
    SIGTERM (as a service manager does) whatever happens."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    with tempfile.TemporaryDirectory(prefix="demo-bot-") as home:
        env |= {**world.env(), "BOT_TOKEN": TOKEN, "TG_SERVER": telegram.base_url,
                "DB_URL": f"sqlite:///{Path(home) / 'bot.sqlite3'}", "STORAGE_CHANNEL_ID": str(STORAGE),
                "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        process = start_main([], env, log, cwd=Path(home))
        try:
            yield process
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                stop_main(process)


@dataclass
class Step:
    title: str
    said: str  # what the user did, as the transcript shows it
    act: Callable[[], Any]  # injects the user's update
    done: Callable[[list[Call]], bool]  # the bot's calls since the step began show it has answered


@dataclass
class Outcome:
    title: str
    sent: str  # the Bot API methods the answer used
    source: str  # "upload", "cache" (by file id), "-" (text only) or "FAILED"
    seconds: float | None


def sent(method: str, chat: int | None = None, *, uploaded: bool | None = None) -> Callable[[list[Call]], bool]:
    """Done once a successful `method` call (to `chat`) was made; `uploaded`: with or without file parts."""
    def check(calls: list[Call]) -> bool:
        return any(call.method == method and call.ok and (chat is None or call.params.get("chat_id") == chat)
                   and (uploaded is None or bool(call.files) == uploaded) for call in calls)
    return check


class Journey:
    def __init__(self, telegram: FakeTelegram, shower: Shower, posts: Posts, write: Callable[[str], None]) -> None:
        self._telegram = telegram
        self._shower = shower
        self._posts = posts
        self._write = write
        self.outcomes: list[Outcome] = []
        self._video_message: dict[str, Any] | None = None

    def steps(self) -> list[Step]:
        t, p = self._telegram, self._posts
        return [
            Step("A TikTok video, by short link", p.video, lambda: t.private_message(USER, p.video),
                 sent("sendVideo", USER)),
            Step("A TikTok slideshow", p.slideshow, lambda: t.private_message(USER, p.slideshow),
                 lambda calls: sent("sendMediaGroup", USER)(calls) and sent("sendMessage", USER)(calls)),
            Step("The 🎵 button under the video", "presses [🎵 Sound]", self._press_sound, sent("sendAudio", USER)),
            Step("The same video again", p.video, lambda: t.private_message(USER, p.video),
                 sent("sendVideo", USER, uploaded=False)),
            Step("An Instagram carousel", p.carousel, lambda: t.private_message(USER, p.carousel),
                 lambda calls: sent("sendMediaGroup", USER)(calls) and sent("sendMessage", USER)(calls)),
            Step("A deleted post", p.deleted, lambda: t.private_message(USER, p.deleted), sent("sendMessage", USER)),
            Step("A link in a group", f"(in “Friends”) {p.other_video}",
                 lambda: t.group_message(GROUP, USER, f"look at this {p.other_video}", title="Friends"),
                 sent("sendVideo", GROUP)),
            Step("Inline, in any chat", f"types “@test_downloader_bot {p.inline_video}” and picks the result",
                 self._inline, sent("editMessageMedia")),
            Step("As a guest, in a chat the bot is not in", f"writes “@test_downloader_bot {p.video}”",
                 lambda: t.guest_message(USER, p.video), sent("answerGuestQuery")),
        ]

    def message(self, text: str) -> Step:
        """What the user typed, sent to the bot in private; answered by the first message or media."""
        answers = ("sendMessage", "sendVideo", "sendMediaGroup", "sendPhoto", "sendAudio", "sendDocument")
        return Step("Your message", text, lambda: self._telegram.private_message(USER, text),
                    lambda calls: any(sent(method, USER)(calls) for method in answers))

    async def run(self, step_number: int, step: Step) -> None:
        self._write(f"\n── {step_number}. {step.title} " + "─" * max(0, 60 - len(step.title)))
        self._write(f"  👤 you: {step.said}")
        started, seen = time.monotonic(), len(self._telegram.calls)
        acted = step.act()
        if inspect.isawaitable(acted):
            await acted
        calls = await self._calls_until(seen, step.done)
        slug = "-".join(word.strip(",") for word in step.title.lower().split()[:4] if word.isascii())
        shown = []
        for call in calls:
            lines = self._shower.lines(call, step_number, slug)
            shown += [call] if lines else []
            for index, line in enumerate(lines):
                self._write(f"  {'🤖 bot:' if index == 0 else '       '} {line}")
        finished = step.done(calls)
        seconds = max(call.done_at for call in shown) - started if finished and shown else None
        self._write(f"  ⏱ {seconds:.2f} s" if seconds is not None else "  ⏱ no answer within the time limit")
        methods = ", ".join(dict.fromkeys(call.method for call in shown)) or "nothing"
        media = [call for call in shown if call.method in MEDIA_METHODS]
        source = "upload" if any(call.files for call in media) else "cache" if media else "-"
        self.outcomes.append(Outcome(step.title, methods, source if finished else "FAILED", seconds))

    async def _calls_until(self, seen: int, done: Callable[[list[Call]], bool]) -> list[Call]:
        deadline = time.monotonic() + STEP_TIMEOUT
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            calls = [call for call in self._telegram.calls[seen:] if call.method != "getUpdates"]
            if done(calls):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= SETTLE:
                    return [call for call in self._telegram.calls[seen:] if call.method != "getUpdates"]
            await asyncio.sleep(0.05)
        return [call for call in self._telegram.calls[seen:] if call.method != "getUpdates"]

    def _press_sound(self) -> None:
        video = next(call for call in self._telegram.calls_to("sendVideo") if call.params.get("chat_id") == USER)
        self._telegram.callback_query(USER, f"mu:tiktok:{self._posts.video_id}", message=video.result)

    async def _inline(self) -> None:
        """The user types the link after the bot's name, then picks the first result Telegram shows."""
        query, seen = self._posts.inline_video, len(self._telegram.calls_to("answerInlineQuery"))
        self._telegram.inline_query(USER, query)
        [answer] = (await self._telegram.await_for("answerInlineQuery", count=seen + 1, timeout=STEP_TIMEOUT))[seen:]
        self._telegram.chosen_inline_result(USER, answer.params["results"][0]["id"], query)
