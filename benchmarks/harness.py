"""One scenario end to end: the offline TikTok world and the fake Telegram (threads of this process, shaped),
the real `python main.py` as its own process, simulated users, and what is measured on the way.

Every timestamp comes from time.monotonic() in this process: when a user's message is injected, when the fake
TikTok received and finished each request (Hit.at / Hit.done_at) and when the fake Telegram received and
answered each call (Call.at / Call.done_at)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from PIL import Image

from benchmarks.probe import ProcessTreeProbe, machine_busy_seconds, own_cpu_seconds, own_rss_peak
from benchmarks.profile import Profiler
from benchmarks.scenarios import Scenario
from tests.fakes import media
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.tiktok import CDN_HOSTS, PAGE_HOSTS, SHORT_LINK_HOSTS, FakeTikTok, Music, VideoFormat
from tests.fakes.traffic import Hit
from tests.fakes.world import TikTokWorld

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:bench-token"  # noqa: S105 - the fake Telegram's
FIRST_USER = 100_000
STORAGE_CHANNEL = -1001000424242
FIRST_ITEM = 7_300_000_000_000_000_000
WARMUP_VIDEO_BYTES = 200_000
POLL_INTERVAL = 0.005  # how often the tracker looks at new Telegram calls
SETTLE_SECONDS = 0.5  # after a phase's last delivery, for the bot's bookkeeping (cache write, statistics)
VIDEO_SENDS = ("sendVideo", "sendDocument")
IMAGE_SENDS = ("sendMediaGroup", "sendPhoto", "sendDocument")
# The bot's environment starts from ours minus every setting it reads and every proxy variable.
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "requests_ca_bundle", "curl_ca_bundle"}


@dataclass(frozen=True)
class Options:
    """How the harness runs a scenario (the same for every scenario of a run)."""

    warmup: int = 4  # small videos delivered concurrently before idle is measured (starts lazy pools)
    idle_seconds: float = 2.0
    timeout: float = 300.0  # per request
    log_level: str = "INFO"
    max_concurrent: int | None = None  # MAX_CONCURRENT_DELIVERIES; default: max(8, users)
    log_dir: Path | None = None  # where the bot's output goes (a temporary directory when None)
    py_spy: Path | None = None  # profile the bot during each phase with this py-spy binary


@dataclass
class Item:
    """One post published on the fake TikTok, and what a user sends for it."""

    item_id: str
    url: str  # the link the user sends
    kind: str  # "video", "slideshow", or "rendered" (a slideshow the chat's setting makes arrive as one video)
    short_path: str | None  # the short link's path on vm.tiktok.com
    video_paths: frozenset[str] = frozenset()
    cover_paths: frozenset[str] = frozenset()
    image_paths: frozenset[str] = frozenset()
    sound_paths: frozenset[str] = frozenset()
    video_sha256: str | None = None
    images: int = 0


@dataclass
class Request:
    """One message with one link, from a user, and how it ended."""

    user: int
    item: Item
    phase: str
    sent_at: float
    message_id: int | None = None
    done_at: float | None = None
    error: str | None = None
    photos: int = 0
    calls: list[Call] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float | None:
        return None if self.done_at is None else self.done_at - self.sent_at


class Tracker:
    """Follows the fake Telegram's calls and completes the request each one answers. A user has one request
    in flight at a time, so every send to that chat after the request was sent belongs to it."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self._telegram = telegram
        self._seen = 0
        self._open: dict[int, Request] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def track(self, request: Request) -> None:
        self._open[request.user] = request

    def forget(self, request: Request) -> None:
        if self._open.get(request.user) is request:
            del self._open[request.user]

    async def _run(self) -> None:
        while True:
            calls = self._telegram.calls
            for call in calls[self._seen:]:
                self._apply(call)
            self._seen = len(calls)
            await asyncio.sleep(POLL_INTERVAL)

    def _apply(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        request = self._open.get(chat_id) if isinstance(chat_id, int) else None
        if request is None or call.at < request.sent_at or call.method == "sendChatAction":
            return
        request.calls.append(call)
        reply = (call.params.get("reply_parameters") or {}).get("message_id")
        if not call.ok:
            self._finish(request, call, f"{call.method} failed: {call.error}")
        elif request.item.kind == "video" and call.method in VIDEO_SENDS:
            upload = call.upload("video") or call.upload("document")
            if upload is not None and upload.sha256 != request.item.video_sha256:
                self._finish(request, call, f"{call.method} uploaded other bytes than the CDN served")
            else:
                self._finish(request, call)
        elif request.item.kind == "rendered":
            self._apply_rendered(request, call, reply)
        elif request.item.kind == "slideshow" and call.method in IMAGE_SENDS:
            request.photos += len(call.params.get("media") or [None])
            if request.photos >= request.item.images:
                self._finish(request, call)
        elif call.method == "sendMessage" and reply == request.message_id:
            self._finish(request, call, f"the bot answered instead: {str(call.params.get('text'))[:120]!r}")

    def _apply_rendered(self, request: Request, call: Call, reply: int | None) -> None:
        """A rendered slideshow ends with a sendVideo that uploads the render; on the way the bot shows a
        progress note (a reply starting with 🎬, edited, then deleted): any other reply is a failure."""
        if call.method in VIDEO_SENDS:
            upload = call.upload("video") or call.upload("document")
            self._finish(request, call, None if upload is not None else f"{call.method} uploaded nothing")
        elif call.method == "sendMessage" and reply == request.message_id \
                and not str(call.params.get("text", "")).startswith("🎬"):
            self._finish(request, call, f"the bot answered instead: {str(call.params.get('text'))[:120]!r}")

    def _finish(self, request: Request, call: Call, error: str | None = None) -> None:
        request.done_at = call.done_at
        request.error = error
        self._open.pop(request.user, None)
        request.finished.set()


class BotProcess:
    """`python main.py` in its own process group, its output in a log file."""

    def __init__(self, env: dict[str, str], cwd: Path, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")], cwd=cwd, env=env, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (as a service manager stops it), SIGKILL if it does not exit in time; the exit code."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def tracebacks(self) -> int:
        return self.log_path.read_text(errors="replace").count("Traceback (most recent call last)")


# --------------------------------------------------------------------------- content


@dataclass
class Library:
    """Bytes shared by every post of a run: one video of the scenario's size, one set of images."""

    video: bytes = b""
    video_sha256: str = ""
    images: list[bytes] = field(default_factory=list)


def photo(index: int) -> bytes:
    """A 1080x1440 JPEG of about 360 kB (smooth noise, tinted per index), like a TikTok photo post's."""
    noise = Image.merge("RGB", [Image.effect_noise((270, 360), 30) for _ in range(3)])
    tint = Image.new("RGB", noise.size, ((70 * index) % 256, (140 + 50 * index) % 256, (40 * index + 90) % 256))
    image = Image.blend(noise, tint, 0.3).resize((1080, 1440), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Publisher:
    """Publishes posts (and their short links) on the fake TikTok."""

    def __init__(self, tiktok: FakeTikTok, short_links: bool = True) -> None:
        self._tiktok = tiktok
        self.short_links = short_links
        self._next = 0

    def _ids(self) -> tuple[str, str]:
        self._next += 1
        return str(FIRST_ITEM + self._next), f"ZMb{self._next:07d}"

    def video(self, data: bytes, sha256: str) -> Item:
        item_id, code = self._ids()
        post = self._tiktok.add_video(item_id, user="bench", formats=(VideoFormat(data=data, codec="h264"),))
        video = post.item["video"]
        covers = {_path(video["cover"]), _path(video["originCover"])}
        return self._item(post.url, item_id, code, "video", video_paths=frozenset(_path(u) for u in post.video_urls),
                          cover_paths=frozenset(covers), video_sha256=sha256)

    def slideshow(self, images: list[bytes], *, music: Music | None = None, rendered: bool = False) -> Item:
        """A photo post (with the committed 2 s sound unless `music`); `rendered`: the user's chat gets
        slideshows as one video, so the request ends with the rendered video's upload."""
        item_id, code = self._ids()
        post = self._tiktok.add_slideshow(item_id, user="bench", images=images, music=music or Music())
        return self._item(post.url, item_id, code, "rendered" if rendered else "slideshow",
                          image_paths=frozenset(_path(u) for u in post.image_urls), images=len(images),
                          sound_paths=frozenset({_path(post.music_url)} if post.music_url else ()))

    def _item(self, url: str, item_id: str, code: str, kind: str, **details: object) -> Item:
        if not self.short_links:
            return Item(item_id, url, kind, None, **details)
        short_url = self._tiktok.add_short_link(code, url)
        return Item(item_id, short_url, kind, f"/{code}/", **details)


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


# --------------------------------------------------------------------------- the running system


class Session:
    """The offline world, the fake Telegram and one `python main.py` process, with the RSS probe and the
    call tracker: what one or more scenarios run against.

    MAX_CONCURRENT_DELIVERIES is raised to the largest number of users, MAX_USER_QUEUE_SIZE to the most links
    per user and SPAM_MAX_LINKS out of the way, so the product's fairness limits do not shape the load."""

    def __init__(self, scenarios: list[Scenario], options: Options, name: str) -> None:
        self.options = options
        self.name = name
        self._users = max(s.users for s in scenarios)
        self._links = max(s.links for s in scenarios)
        self._stack = contextlib.ExitStack()
        self._next_user = FIRST_USER
        self.workdir: Path | None = None
        self.world: TikTokWorld | None = None
        self.telegram: FakeTelegram | None = None
        self.bot: BotProcess | None = None
        self.probe: ProcessTreeProbe | None = None
        self.tracker: Tracker | None = None
        self.publisher: Publisher | None = None
        self.startup_seconds: float | None = None
        self.startup_rss: int | None = None
        self.exit_code: int | None = None

    @property
    def tiktok(self) -> FakeTikTok:
        return self.world.tiktok

    def users(self, count: int) -> list[int]:
        """Fresh user ids: no scenario shares a chat (or its spam bucket) with another."""
        first, self._next_user = self._next_user, self._next_user + count
        return list(range(first, first + count))

    async def __aenter__(self) -> Self:
        try:
            self.workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
            self.world = self._stack.enter_context(TikTokWorld(directory=self.workdir))
            self.telegram = self._stack.enter_context(FakeTelegram(token=TOKEN, keep_uploads=False))
            self.publisher = Publisher(self.world.tiktok)
            log_dir = self.options.log_dir or self.workdir
            log_dir.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            self.bot = BotProcess(self._environment(), self.workdir, log_dir / f"{self.name}.log")
            self.probe = ProcessTreeProbe(self.bot.pid).start()
            self.tracker = Tracker(self.telegram)
            self.tracker.start()
            await self.telegram.await_polling(timeout=120)
            self.startup_seconds = time.monotonic() - started
            sample = self.probe.latest()
            self.startup_rss = sample.rss if sample else None
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self.tracker is not None:
            await self.tracker.stop()
        if self.bot is not None:
            self.exit_code = self.bot.stop()
        if self.probe is not None:
            self.probe.stop()
        self._stack.close()

    def bot_report(self) -> dict:
        log = self.bot.log_path
        log = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
        return {"exit_code": self.exit_code, "tracebacks_in_log": self.bot.tracebacks(), "log": str(log),
                "startup_seconds": round(self.startup_seconds or 0, 3), "startup_rss_bytes": self.startup_rss}

    def shape(self, scenario: Scenario) -> None:
        network = scenario.network
        self.tiktok.shape("page", latency=network.page.latency, bandwidth=network.page.bandwidth)
        self.tiktok.shape("cdn", latency=network.cdn.latency, bandwidth=network.cdn.bandwidth)
        self.telegram.shape(latency=network.telegram.latency, bandwidth=network.telegram.bandwidth)

    def _environment(self) -> dict[str, str]:
        from data.config import Settings  # only to know which variables the bot reads

        ours = {name.upper() for name in Settings.model_fields} | {name.upper() for name in PROXY_VARIABLES}
        env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
        concurrency = self.options.max_concurrent or max(8, self._users, self.options.warmup + 1)
        return {
            **env, **self.world.env(),
            "BOT_TOKEN": TOKEN, "TG_SERVER": self.telegram.base_url,
            "DB_URL": f"sqlite:///{self.workdir / 'bot.sqlite3'}",
            "LOG_LEVEL": self.options.log_level,
            "MAX_CONCURRENT_DELIVERIES": str(concurrency),
            "MAX_USER_QUEUE_SIZE": str(max(3, self._links)),
            "SPAM_MAX_LINKS": "1000",
            "STORAGE_CHANNEL_ID": str(STORAGE_CHANNEL),  # inline and guest mode upload there
            "PYTHONUNBUFFERED": "1",
        }


# --------------------------------------------------------------------------- one scenario


class ScenarioRun:
    """A scenario on a running session: optional warm-up, the idle window, the cache misses, the hits."""

    def __init__(self, session: Session, scenario: Scenario, library: Library) -> None:
        self.session = session
        self.scenario = scenario
        self.library = library
        self.options = session.options

    async def run(self, warmup: bool = True) -> dict:
        session, scenario = self.session, self.scenario
        publisher = session.publisher
        publisher.short_links = scenario.short_links
        plan = {user: [self._publish(index) for index in range(scenario.links)]
                for user in session.users(scenario.users)}
        warm: dict[int, list[Item]] = {}
        if warmup and self.options.warmup:
            warm = {user: [publisher.video(*_small_video())] for user in session.users(self.options.warmup)}
            if scenario.kind in ("slideshow", "mix"):
                warm[session.users(1)[0]] = [publisher.slideshow(self.library.images)]
        session.shape(scenario)

        warmed = await self._phase("warmup", warm) if warm else None
        probe = session.probe
        idle_start, idle_cpu = time.monotonic(), probe.cpu_seconds()
        await asyncio.sleep(self.options.idle_seconds)
        idle_end = time.monotonic()
        idle_cpu = probe.cpu_seconds() - idle_cpu
        idle_rss = probe.median(idle_start, idle_end) or self._current_rss()
        tree = probe.tree_rss()

        miss = await self._phase("miss", plan)
        hit = await self._phase("hit", plan)
        after_start = time.monotonic()
        await asyncio.sleep(1.0)
        after_rss = probe.median(after_start, time.monotonic()) or self._current_rss()

        phases = {"miss": miss, "hit": hit}
        for phase in phases.values():
            phase["rss_growth_bytes"] = phase["peak_rss_bytes"] - idle_rss
        return {
            "memory": {
                "idle_rss_bytes": idle_rss, "after_rss_bytes": after_rss, "retained_bytes": after_rss - idle_rss,
                "idle_window_s": round(idle_end - idle_start, 3),
                "idle_cpu_s_per_s": round(idle_cpu / (idle_end - idle_start), 5),
                "processes": tree, "sample_interval_s": probe.interval,
            },
            "warmup": {key: warmed[key] for key in ("requests", "delivered", "errors")} if warmed else None,
            "phases": phases,
        }

    def _publish(self, index: int) -> Item:
        """The user's `index`-th post: a slideshow in slideshow scenarios, every third one in the mix."""
        kind = self.scenario.kind
        if kind == "slideshow" or (kind == "mix" and index % 3 == 2):
            return self.session.publisher.slideshow(self.library.images)
        return self.session.publisher.video(self.library.video, self.library.video_sha256)

    def _current_rss(self) -> int:
        sample = self.session.probe.latest()
        return sample.rss if sample else 0

    async def _phase(self, name: str, plan: dict[int, list[Item]]) -> dict:
        probe, session = self.session.probe, self.session
        profiler = None
        if self.options.py_spy and name != "warmup":
            output = (self.options.log_dir or session.workdir) / "profiles" / f"{self.scenario.name}-{name}.txt"
            profiler = Profiler(self.options.py_spy, session.bot.pid, output)
            await asyncio.sleep(0.5)  # py-spy attaches
        cpu_before, own_before, machine_before = probe.cpu_seconds(), own_cpu_seconds(), machine_busy_seconds()
        start = time.monotonic()
        per_user = await asyncio.gather(*(self._user(user, items, name) for user, items in plan.items()))
        last = time.monotonic()
        await asyncio.sleep(SETTLE_SECONDS)
        end = time.monotonic()
        cpu = probe.cpu_seconds() - cpu_before
        own = own_cpu_seconds() - own_before
        machine_after = machine_busy_seconds()
        requests = [request for user_requests in per_user for request in user_requests]
        summary = summarize_phase(requests, start, last, end, cpu, own, probe.peak(start, end) or 0,
                                  session.tiktok.requests, session.telegram.calls)
        summary["harness_peak_rss_bytes"] = own_rss_peak()
        elapsed = machine_after[1] - machine_before[1]
        summary["machine_cpu_busy"] = round((machine_after[0] - machine_before[0]) / elapsed, 3) if elapsed else None
        if profiler is not None:
            summary["profile"] = profiler.stop()
        return summary

    async def _user(self, user: int, items: list[Item], phase: str) -> list[Request]:
        """One user: each link in its own message, the next once the previous one was answered."""
        tracker, telegram = self.session.tracker, self.session.telegram
        done = []
        for item in items:
            request = Request(user, item, phase, time.monotonic())
            tracker.track(request)
            update = telegram.private_message(user, item.url, first_name="Bench")
            request.message_id = update["message"]["message_id"]
            try:
                await asyncio.wait_for(request.finished.wait(), self.options.timeout)
            except TimeoutError:
                request.error = f"no answer within {self.options.timeout:g} s"
                tracker.forget(request)
            done.append(request)
        return done


def _small_video() -> tuple[bytes, str]:
    data = media.mp4_of_size(WARMUP_VIDEO_BYTES)
    return data, hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- summaries


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stats(values: list[float]) -> dict:
    rounded = lambda value: None if value is None else round(value, 4)  # noqa: E731
    return {"p50": rounded(percentile(values, 0.5)), "p95": rounded(percentile(values, 0.95)),
            "max": rounded(max(values, default=None)), "min": rounded(min(values, default=None)),
            "mean": rounded(statistics.fmean(values) if values else None)}


def _kind(hit: Hit) -> str | None:
    if hit.host in PAGE_HOSTS or hit.host in SHORT_LINK_HOSTS:
        return "page"
    return "cdn" if hit.host in CDN_HOSTS else None


def summarize_phase(requests: list[Request], start: float, last: float, end: float, cpu: float,
                    own_cpu: float, peak_rss: int, hits: list[Hit], calls: list[Call]) -> dict:
    delivered = [r for r in requests if r.error is None and r.done_at is not None]
    latencies = [r.latency for r in delivered]
    first_sent = min((r.sent_at for r in requests), default=start)
    last_done = max((r.done_at for r in delivered), default=last)
    span = last_done - first_sent
    window_hits = [h for h in hits if start <= h.at <= end]
    window_calls = [c for c in calls if start <= c.at <= end]
    uploads = [c for c in window_calls if c.files]
    page_hits = [h for h in window_hits if _kind(h) == "page"]
    cdn_hits = [h for h in window_hits if _kind(h) == "cdn"]
    errors = [f"user {r.user} item {r.item.item_id}: {r.error}" for r in requests if r.error]
    return {
        "requests": len(requests),
        "delivered": len(delivered),
        "errors": len(errors),
        "error_details": errors[:20],
        "wall_s": round(span, 4),
        "deliveries_per_s": round(len(delivered) / span, 3) if span > 0 and delivered else None,
        "latency_s": _stats(latencies),
        "peak_rss_bytes": peak_rss,
        "cpu_s": round(cpu, 4),
        "cpu_s_per_delivery": round(cpu / len(delivered), 5) if delivered else None,
        "harness_cpu_s": round(own_cpu, 3),
        "traffic": {
            "page_requests": len(page_hits),
            "page_bytes": sum(h.sent for h in page_hits),
            "cdn_requests": len(cdn_hits),
            "cdn_bytes": sum(h.sent for h in cdn_hits),
            "telegram_calls": len(window_calls),
            "telegram_uploads": sum(len(c.files) for c in uploads),
            "telegram_upload_bytes": sum(c.upload_bytes for c in uploads),
        },
        "timeline_s": timeline(requests, window_hits),
        "sizes": measured_sizes(requests, window_hits),
    }


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 4) if values else None


def timeline(requests: list[Request], hits: list[Hit]) -> dict:
    """Where a delivered request's time went, as medians over the phase, from the fakes' own timestamps:
    the update -> the short link's request (update delivery, handler, queue) -> the resolve -> the page
    request's arrival (the extractor's thread pool) -> the page -> the media's first request -> media and
    sends until the completed send."""
    segments: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            segments.setdefault(name, []).append(value)

    for request in requests:
        if request.error or request.done_at is None:
            continue
        item = request.item
        mine = [h for h in hits if h.at >= request.sent_at and h.done_at is not None and h.at <= request.done_at]
        short = next((h for h in mine if item.short_path and h.path == item.short_path
                      and h.host in SHORT_LINK_HOSTS), None)
        page = next((h for h in mine if h.host in PAGE_HOSTS and h.path.rstrip("/").endswith(item.item_id)), None)
        covers = [h for h in mine if h.path in item.cover_paths]
        videos = [h for h in mine if h.path in item.video_paths]
        images = [h for h in mine if h.path in item.image_paths]
        sends = [c for c in request.calls if c.method in VIDEO_SENDS + IMAGE_SENDS]
        if short:
            add("update_to_resolve", short.at - request.sent_at)
            add("resolve", short.done_at - short.at)
        if page:
            add("to_page", page.at - (short.done_at if short else request.sent_at))
            add("page", page.done_at - page.at)
        if covers:
            cover = covers[0]
            add("to_cover", cover.at - (page.done_at if page else request.sent_at))
            add("cover", cover.done_at - cover.at)
        if videos:
            video = videos[-1]  # a retried download: the last attempt
            add("to_video", video.at - (covers[0].done_at if covers else page.done_at if page else request.sent_at))
            add("video_download", video.done_at - video.at)
            add("video_done_to_send_done", request.done_at - video.done_at)
        if images:
            add("to_images", min(h.at for h in images) - (page.done_at if page else request.sent_at))
            add("images_download", max(h.done_at for h in images) - min(h.at for h in images))
            add("images_done_to_first_send", min((c.at for c in sends), default=request.done_at)
                - max(h.done_at for h in images))
        if sends:
            before = [h.done_at for h in mine if h.done_at <= sends[0].at]
            add("to_send", sends[0].at - max(before, default=request.sent_at))
            add("send", request.done_at - sends[-1].at)
    return {name: _median(values) for name, values in segments.items()}


def measured_sizes(requests: list[Request], hits: list[Hit]) -> dict:
    """Median body sizes the phase's requests were answered with (for the lower bound)."""
    items = {request.item.item_id: request.item for request in requests}
    short_paths = {item.short_path for item in items.values() if item.short_path}
    cover_paths = set().union(*(item.cover_paths for item in items.values())) if items else set()
    image_paths = set().union(*(item.image_paths for item in items.values())) if items else set()
    video_paths = set().union(*(item.video_paths for item in items.values())) if items else set()
    return {
        "short_link": _median(h.sent for h in hits if h.path in short_paths and h.host in SHORT_LINK_HOSTS),
        "page": _median(h.sent for h in hits if h.host in PAGE_HOSTS
                        and any(h.path.rstrip("/").endswith(i) for i in items)),
        "cover": _median(h.sent for h in hits if h.path in cover_paths),
        "video": _median(h.sent for h in hits if h.path in video_paths),
        "image": _median(h.sent for h in hits if h.path in image_paths),
        "image_max": max((h.sent for h in hits if h.path in image_paths), default=None),
    }

