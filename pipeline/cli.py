"""`python main.py fetch`: the pipeline without Telegram, for people who want files, not chats.
Idempotent (items already in the output directory are skipped), bounded, and verbose on demand."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from data import Platform
from data.logs import redact_credentials
from pipeline.client import MediaClient
from pipeline.errors import MediaError
from pipeline.links import Link
from pipeline.models import Gallery
from pipeline.platforms import FoundLink, Platforms

OK, EXISTS, DUPLICATE, FAILED = "ok", "already there", "duplicate", "failed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="*", metavar="URL", help="TikTok or Instagram links")
    parser.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                        help="read links from FILE, one or more per line ('-' for standard input)")
    parser.add_argument("--out", type=Path, default=Path("downloads"), metavar="DIR",
                        help="where to save the media (default: ./downloads)")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="items fetched at once (default 4)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print every stage, proxy, attempt and timing (-vv: also yt-dlp's own messages)")


@dataclass(slots=True)
class Outcome:
    source: str
    status: str
    item_id: str | None = None
    detail: str = ""


class Fetcher:
    def __init__(self, out: Path, concurrency: int, total: int) -> None:
        self._out = out
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
                if media.music and media.music.media:
                    await client.download(media.music.media, partial / "sound.mp3", session)
                final = self._out / item.item_id
                partial.rename(final)
                detail = f"{len(files)} images -> {final}"
            else:
                chosen, file = await client.download_video(media, partial, session)
                final = self._out / f"{item.item_id}.mp4"
                file.path.rename(final)
                detail = f"video {chosen.width}x{chosen.height} {chosen.codec} {file.size / 1e6:.1f} MB -> {final}"
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return Outcome(raw, OK, item.item_id, detail)


def _read_sources(urls: list[str], from_file: Path | None) -> list[str]:
    words = list(urls)
    if from_file is not None:
        text = sys.stdin.read() if str(from_file) == "-" else from_file.read_text(encoding="utf-8")
        words += [word for line in text.splitlines() if not line.lstrip().startswith("#") for word in line.split()]
    return list(dict.fromkeys(words))  # the same text twice is one request


async def run_fetch(args: argparse.Namespace, platforms: Platforms) -> int:
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
    fetcher = Fetcher(args.out, args.concurrency, len(sources))
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

