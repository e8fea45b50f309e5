"""`python main.py fetch`: the pipeline without Telegram, for people who want files, not chats. Links as
arguments or a file of links, or a scraper's JSON / JSON Lines export (pipeline.exports), optionally one folder
per topic. Each item once, bounded, resumable (pipeline.fetch_state), a progress bar on a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from tqdm import tqdm

from data import Platform
from pipeline.exports import ExportError, Fields, Record, is_export, read_export, safe_folder
from pipeline.fetch_state import FetchState
from pipeline.fetcher import DUPLICATE, EXISTS, FAILED, OK, Encoding, Fetcher, Outcome, Work
from pipeline.platforms import Platforms
from pipeline.urls import host_of

UNGROUPED = "_ungrouped"  # the folder of records without the grouping field


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="*", metavar="URL", help="TikTok or Instagram links")
    parser.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                        help="read links from FILE, one or more per line ('-' for standard input), or records "
                             "from a JSON / JSON Lines export")
    parser.add_argument("--out", type=Path, default=Path("downloads"), metavar="DIR",
                        help="where to save the media (default: ./downloads)")
    parser.add_argument("--group-by", nargs="?", const="", default=None, metavar="FIELD",
                        help="export: one folder per value of FIELD (a dotted path; without FIELD the export's "
                             "query field: query_context, searchQuery...)")
    parser.add_argument("--group-field", dest="group_by", metavar="PATH", help="the same as --group-by PATH")
    parser.add_argument("--id-field", metavar="PATH", help="export: the item id's dotted path (default: found)")
    parser.add_argument("--url-field", metavar="PATH", help="export: the link's or media URL's dotted path")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="items fetched at once (default 4)")
    parser.add_argument("--slideshow-video", action="store_true",
                        help="also render each slideshow as one video with its sound: <id>/<id>.mp4")
    parser.add_argument("--audio", action="store_true",
                        help="also take out the sound of every video: <id>.m4a (and of a gallery's clips)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print every item, stage, proxy, attempt and timing (-vv: also yt-dlp's own messages)")


def works_from_links(urls: list[str], from_file: Path | None, platforms: Platforms, out: Path) -> list[Work]:
    words = list(urls)
    if from_file is not None:
        text = sys.stdin.read() if str(from_file) == "-" else from_file.read_text(encoding="utf-8")
        words += [word for line in text.splitlines() if not line.lstrip().startswith("#") for word in line.split()]
    return [Work(raw, found, [out], found.link.item_id if found else None)
            for raw in dict.fromkeys(words)  # the same text twice is one request
            for found in [platforms.parse(raw)]]


def works_from_records(records: list[Record], platforms: Platforms, out: Path, skipped: list[str], *,
                       grouped: bool) -> tuple[list[Work], int]:
    """One work per item (whatever field its id came from, whatever its link's form), in every folder its
    records name; records with nothing usable go to `skipped`. Also the number of duplicate records."""
    works: dict[str, Work] = {}
    unkeyed: list[Work] = []
    duplicates = 0
    for record in records:
        found = next((found for url in record.urls if (found := platforms.parse(url)) is not None), None)
        tiktok_id = tiktok_id_of(platforms, record.item_id)
        if found is None and tiktok_id is not None:  # a bare id: TikTok's (Instagram's need their link)
            found = platforms.parse(platforms.item_url(Platform.TIKTOK, tiktok_id))
        if found is None:
            skipped.append(f"{record.label}: no TikTok or Instagram link or id")
            continue
        links = platforms.client(found.platform).links
        media_url = next((url for url in record.urls if not links.is_page_host(host := host_of(url))
                          and links.is_media_host(host)), None)
        folder = out / (safe_folder(record.group) if record.group else UNGROUPED) if grouped else out
        own_id = tiktok_id if found.platform is Platform.TIKTOK else None  # ids name files: only checked ones
        work = Work(record.label, found, [folder], found.link.item_id or own_id, media_url)
        if work.key is None:
            unkeyed.append(work)  # a short link: its id shows when it is followed (the fetcher de-duplicates)
        elif (first := works.get(work.key)) is not None:
            duplicates += 1
            first.folders += [folder] if folder not in first.folders else []
            first.media_url = first.media_url or media_url
        else:
            works[work.key] = work
    return [*works.values(), *unkeyed], duplicates


def tiktok_id_of(platforms: Platforms, candidate: str | None) -> str | None:
    """The candidate if it is a TikTok item id (its item link parses back to it), else None: a record's id
    becomes a file name, so nothing else ("../x", "a/b") may pass."""
    if candidate is None or not candidate.isascii() or not candidate.isdecimal():
        return None
    found = platforms.parse(platforms.item_url(Platform.TIKTOK, candidate))
    return candidate if found is not None and found.link.item_id == candidate else None


async def run_fetch(args: argparse.Namespace, platforms: Platforms, encoding: Encoding | None = None) -> int:
    """Fetch every item with the client of its platform; a progress bar (or a line per item) and a summary.
    Non-zero when anything failed. The clients are closed at the end."""
    if args.from_file is not None and str(args.from_file) != "-" and not args.from_file.is_file():
        print(f"--from: file {str(args.from_file)!r} does not exist", file=sys.stderr)
        return 2
    skipped: list[str] = []
    duplicates = 0
    export = args.from_file is not None and str(args.from_file) != "-" and is_export(args.from_file)
    if not export and (args.group_by is not None or args.id_field or args.url_field):
        print("--group-by, --id-field and --url-field apply to a JSON export given with --from", file=sys.stderr)
        return 2
    if export:
        try:
            records, skipped = read_export(args.from_file, Fields(args.id_field, args.url_field, args.group_by or None),
                                           group_by=args.group_by is not None)
        except (ExportError, UnicodeDecodeError) as exc:
            print(f"--from: {args.from_file} is not a JSON export: {exc}", file=sys.stderr)
            return 2
        works, duplicates = works_from_records(records, platforms, args.out, skipped,
                                               grouped=args.group_by is not None)
        works += works_from_links(args.urls, None, platforms, args.out)  # links given beside the export
    else:
        works = works_from_links(args.urls, args.from_file, platforms, args.out)
    if not works:
        print("nothing to fetch: give links as arguments or with --from FILE" if not skipped
              else f"nothing to fetch: all {len(skipped)} records were skipped", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(works), verbose=bool(args.verbose))
    state = FetchState(args.out)
    fetcher = Fetcher(args.out, args.concurrency, state, progress.report, encoding, args.slideshow_video, args.audio)
    try:
        await asyncio.gather(*(fetcher.fetch(work, platforms) for work in works))
    except asyncio.CancelledError:  # Ctrl-C: what finished is written down; the rest is for the next run
        progress.close()
        print(summary(progress.outcomes, duplicates, skipped, stopped=len(works) - len(progress.outcomes)))
        raise
    finally:
        state.close()
        await platforms.close()
    progress.close()
    if args.verbose:
        print("\nproxies:", *platforms.proxy_reports(), sep="\n  ")
    print(summary(progress.outcomes, duplicates, skipped))
    return 1 if any(outcome.status == FAILED for outcome in progress.outcomes) else 0


class Progress:
    """A bar on a terminal (failures, and with -v every item, printed above it); a line per item otherwise."""

    def __init__(self, total: int, *, verbose: bool) -> None:
        self.outcomes: list[Outcome] = []
        self._total = total
        self._verbose = verbose
        self._bar = tqdm(total=total, unit="item", dynamic_ncols=True) if sys.stderr.isatty() else None

    def report(self, outcome: Outcome, started: float) -> None:
        self.outcomes.append(outcome)
        line = (f"[{len(self.outcomes)}/{self._total}] {outcome.status:<13} {outcome.item_id or '-':<20} "
                f"{outcome.source}{'  ' + outcome.detail if outcome.detail else ''}  "
                f"({time.monotonic() - started:.1f} s)")
        if self._bar is None:
            print(line, flush=True)
            return
        if self._verbose or outcome.status == FAILED:
            self._bar.write(line)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def summary(outcomes: list[Outcome], duplicates: int, skipped: list[str], *, stopped: int = 0) -> str:
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in (OK, EXISTS, DUPLICATE, FAILED)}
    lines = [f"\n{counts[OK]} ok, {counts[EXISTS]} already there, {counts[DUPLICATE] + duplicates} duplicates, "
             f"{counts[FAILED]} failed" + (f", {len(skipped)} records skipped" if skipped else "")
             + (f"; stopped with {stopped} not done (run again to do them)" if stopped else "")]
    lines += [f"  failed: {o.source}: {o.detail}" for o in outcomes if o.status == FAILED]
    lines += [f"  skipped: {line}" for line in skipped]
    return "\n".join(lines)
