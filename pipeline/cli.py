"""`python main.py fetch`: the pipeline without Telegram, for people who want files, not chats.
Idempotent (items already in the output directory are skipped), bounded, and verbose on demand."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from data import Platform
from data.logs import redact_credentials
from pipeline.client import MediaClient
from pipeline.errors import MediaError, NoSoundError
from pipeline.links import Link
from pipeline.models import EntryKind, Gallery
from pipeline.platforms import FoundLink, Platforms

OK, EXISTS, DUPLICATE, FAILED = "ok", "already there", "duplicate", "failed"
NO_LIMIT = 1 << 40  # files on disk have no upload limit


class Encoding(Protocol):
    """What --slideshow-video and --audio need; main.py passes media_types' encoder in (the pipeline knows
    none). Refusals arrive as MediaError."""

    async def render_slideshow(self, pictures: Sequence[Path], sound: Path | None, output: Path, *,
                               max_bytes: int) -> object: ...

    async def extract_audio(self, video: Path, output: Path) -> object: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="*", metavar="URL", help="TikTok or Instagram links")
    parser.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                        help="read links from FILE, one or more per line ('-' for standard input)")
    parser.add_argument("--out", type=Path, default=Path("downloads"), metavar="DIR",
                        help="where to save the media (default: ./downloads)")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="items fetched at once (default 4)")
    parser.add_argument("--slideshow-video", action="store_true",
                        help="also render each slideshow as one video with its sound: <id>/<id>.mp4")
    parser.add_argument("--audio", action="store_true",
                        help="also take out the sound of every video: <id>.m4a (and of a gallery's clips)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print every stage, proxy, attempt and timing (-vv: also yt-dlp's own messages)")


@dataclass(slots=True)
class Outcome:
    source: str
    status: str
    item_id: str | None = None
    detail: str = ""


class Fetcher:
    def __init__(self, out: Path, concurrency: int, total: int, *, encoding: Encoding | None = None,
                 slideshow_video: bool = False, audio: bool = False) -> None:
        self._out = out
        self._encoding = encoding
        self._slideshow_video = slideshow_video and encoding is not None
        self._audio = audio and encoding is not None
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._claimed: set[tuple[Platform, str]] = set()
        self._total = total
        self._done = 0

    def _report(self, outcome: Outcome, started: float) -> Outcome:
        self._done += 1
        item = outcome.item_id or "-"
        print(f"[{self._done}/{self._total}] {outcome.status:<13} {item:<20} {outcome.source}"
              f"{'  ' + outcome.detail if outcome.detail else ''}  ({time.monotonic() - started:.1f} s)", flush=True)
        return outcome

    def _existing(self, item_id: str) -> Path | None:
        for candidate in (self._out / f"{item_id}.mp4", self._out / item_id):
            if candidate.exists():
                return candidate
        return None

    async def fetch(self, raw: str, found: FoundLink | None, platforms: Platforms) -> Outcome:
        started = time.monotonic()
        if found is None:
            return self._report(Outcome(raw, FAILED, detail="invalid_link: not a TikTok or Instagram post link"),
                                started)
        client, link = platforms.client(found.platform), found.link
        async with self._limit:
            try:
                return self._report(await self._fetch(raw, client, link), started)
            except MediaError as exc:
                return self._report(Outcome(raw, FAILED, link.item_id, f"{exc.reason}: {exc}"), started)
            except OSError as exc:  # this item's disk trouble (full, a rename race) fails this item, not the run
                detail = f"disk: {type(exc).__name__}: {redact_credentials(str(exc))}"
                return self._report(Outcome(raw, FAILED, link.item_id, detail), started)

    async def _fetch(self, raw: str, client: MediaClient, link: Link) -> Outcome:
        session = client.session()
        item = await client.resolve(link, session)
        key = (client.platform, item.item_id)
        if key in self._claimed:
            return Outcome(raw, DUPLICATE, item.item_id)
        self._claimed.add(key)
        if existing := self._existing(item.item_id):
            return Outcome(raw, EXISTS, item.item_id, str(existing))
        media = await client.extract(item, session)
        partial = self._out / f".partial-{item.item_id}"
        partial.mkdir(parents=True, exist_ok=True)
        try:
            if isinstance(media, Gallery):
                files = await client.download_gallery(media, partial, session)
                sound = None
                if media.music and media.music.media:
                    sound = (await client.download(media.music.media, partial / "sound.mp3", session)).path
                extras = await self._gallery_extras(media, [f.path for f in files], sound, partial)
                final = self._out / item.item_id
                partial.rename(final)
                detail = f"{len(files)} images{extras} -> {final}"
            else:
                chosen, file = await client.download_video(media, partial, session)
                sound_file = partial / f"{item.item_id}.m4a"
                extras = await self._sound_of(file.path, sound_file) if self._audio else ""
                if sound_file.exists():
                    sound_file.rename(self._out / sound_file.name)
                final = self._out / f"{item.item_id}.mp4"
                file.path.rename(final)
                detail = (f"video {chosen.width}x{chosen.height} {chosen.codec} {file.size / 1e6:.1f} MB{extras} "
                          f"-> {final}")
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return Outcome(raw, OK, item.item_id, detail)


    async def _gallery_extras(self, gallery: Gallery, files: list[Path], sound: Path | None, directory: Path) -> str:
        """The slideshow as one video and the clips' sounds, beside the pictures, as asked."""
        notes = ""
        if self._slideshow_video and self._encoding is not None and gallery.is_slideshow:
            await self._encoding.render_slideshow(files, sound, directory / f"{gallery.item.item_id}.mp4",
                                                  max_bytes=NO_LIMIT)
            notes += " + slideshow video"
        if self._audio:
            clips = [path for entry, path in zip(gallery.entries, files, strict=True) if entry.kind is EntryKind.VIDEO]
            for clip in clips:
                notes += await self._sound_of(clip, clip.with_suffix(".m4a"))
        return notes

    async def _sound_of(self, video: Path, output: Path) -> str:
        """Its sound into `output` (" + sound"), or a note that it has none (not a failure: the video is there)."""
        if self._encoding is None:
            return ""
        try:
            await self._encoding.extract_audio(video, output)
        except NoSoundError:
            return " (no sound)"
        return " + sound"


def _read_sources(urls: list[str], from_file: Path | None) -> list[str]:
    words = list(urls)
    if from_file is not None:
        text = sys.stdin.read() if str(from_file) == "-" else from_file.read_text(encoding="utf-8")
        words += [word for line in text.splitlines() if not line.lstrip().startswith("#") for word in line.split()]
    return list(dict.fromkeys(words))  # the same text twice is one request


async def run_fetch(args: argparse.Namespace, platforms: Platforms, encoding: Encoding | None = None) -> int:
    """Fetch every link with the client of its platform; print a line per item and a summary.
    Non-zero when anything failed. The clients are closed at the end."""
    if args.from_file is not None and str(args.from_file) != "-" and not args.from_file.is_file():
        print(f"--from: file {str(args.from_file)!r} does not exist", file=sys.stderr)
        return 2
    sources = _read_sources(args.urls, args.from_file)
    if not sources:
        print("nothing to fetch: give links as arguments or with --from FILE", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    fetcher = Fetcher(args.out, args.concurrency, len(sources), encoding=encoding,
                      slideshow_video=args.slideshow_video, audio=args.audio)
    try:
        outcomes = await asyncio.gather(*(fetcher.fetch(raw, platforms.parse(raw), platforms) for raw in sources))
    finally:
        await platforms.close()
    if args.verbose:
        print("\nproxies:", *platforms.proxy_reports(), sep="\n  ")
    return _summarize(outcomes)


def _summarize(outcomes: list[Outcome]) -> int:
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in (OK, EXISTS, DUPLICATE, FAILED)}
    print(f"\n{counts[OK]} ok, {counts[EXISTS]} already there, {counts[DUPLICATE]} duplicates, {counts[FAILED]} failed")
    for outcome in outcomes:
        if outcome.status == FAILED:
            print(f"  failed: {outcome.source}: {outcome.detail}")
    return 1 if counts[FAILED] else 0

