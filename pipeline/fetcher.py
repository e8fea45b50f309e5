"""One item of `fetch` from its link (or its export record) to its files: bounded, once per item, resumable.

An item is fetched into the first of its folders and hard-linked into the others (a copy where links are
impossible). A record's direct media URL is tried first when it is on the platform's media allowlist and has
not expired; a refusal (403, 410, expiry) falls back to resolving the item through the three stages."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from data.logs import redact_credentials
from pipeline.client import MediaClient
from pipeline.errors import MediaError, NoSoundError
from pipeline.fetch_state import FetchState
from pipeline.models import EntryKind, Gallery, MediaRequest
from pipeline.platforms import FoundLink, Platforms

log = logging.getLogger(__name__)
OK, EXISTS, DUPLICATE, FAILED = "ok", "already there", "duplicate", "failed"
NO_LIMIT = 1 << 40  # files on disk have no upload limit
EXPIRY_PARAMETERS = ("x-expires", "expire", "expires")


class Encoding(Protocol):
    """What --slideshow-video and --audio need; main.py passes media_types' encoder in (the pipeline knows
    none). Refusals arrive as MediaError."""

    async def render_slideshow(self, pictures: Sequence[Path], sound: Path | None, output: Path, *,
                               max_bytes: int) -> object: ...

    async def extract_audio(self, video: Path, output: Path) -> object: ...


@dataclass(slots=True)
class Work:
    """One item to fetch: what the summary calls it, its link, where it goes, and an export's hints."""

    source: str
    found: FoundLink | None
    folders: list[Path]
    item_id: str | None = None  # known before resolving (an export's id, a full link)
    media_url: str | None = None  # a direct CDN address from an export

    @property
    def key(self) -> str | None:
        return f"{self.found.platform.value}:{self.item_id}" if self.found and self.item_id else None


@dataclass(slots=True)
class Outcome:
    source: str
    status: str
    item_id: str | None = None
    detail: str = ""


@dataclass
class Fetcher:
    out: Path
    concurrency: int
    state: FetchState
    report: Callable[[Outcome, float], None]
    encoding: Encoding | None = None
    slideshow_video: bool = False
    audio: bool = False
    _limit: asyncio.Semaphore = field(init=False)
    _claimed: dict[str, Work] = field(init=False, default_factory=dict)
    _placed: dict[str, Path] = field(init=False, default_factory=dict)  # where each item's files are now

    def __post_init__(self) -> None:
        self._limit = asyncio.Semaphore(max(1, self.concurrency))
        self.slideshow_video = self.slideshow_video and self.encoding is not None
        self.audio = self.audio and self.encoding is not None

    async def fetch(self, work: Work, platforms: Platforms) -> Outcome:
        started = time.monotonic()
        if work.found is None:
            outcome = Outcome(work.source, FAILED, work.item_id, "invalid_link: not a TikTok or Instagram post link")
        else:
            async with self._limit:
                outcome = await self._guarded(work, platforms.client(work.found.platform))
        self.report(outcome, started)
        return outcome

    async def _guarded(self, work: Work, client: MediaClient) -> Outcome:
        try:
            return await self._fetch(work, client)
        except MediaError as exc:
            outcome = Outcome(work.source, FAILED, work.item_id, f"{exc.reason}: {exc}")
        except OSError as exc:  # this item's disk trouble (full, a rename race) fails this item, not the run
            outcome = Outcome(work.source, FAILED, work.item_id,
                              f"disk: {type(exc).__name__}: {redact_credentials(str(exc))}")
        if work.key is not None:
            self.state.failed(work.key, outcome.detail)
        return outcome

    async def _fetch(self, work: Work, client: MediaClient) -> Outcome:
        if work.key is not None and (settled := self._settled(work)) is not None:
            return settled
        if (direct := await self._by_url(work, client)) is not None:
            return direct
        session = client.session()
        assert work.found is not None  # noqa: S101 - fetch() answers linkless work itself
        item = await client.resolve(work.found.link, session)
        work.item_id = item.item_id
        if (settled := self._settled(work)) is not None:
            return settled
        media = await client.extract(item, session)
        partial = work.folders[0] / f".partial-{item.item_id}"
        partial.mkdir(parents=True, exist_ok=True)
        try:
            if isinstance(media, Gallery):
                files = await client.download_gallery(media, partial, session)
                sound = None
                if media.music and media.music.media:
                    sound = (await client.download(media.music.media, partial / "sound.mp3", session)).path
                extras = await self._gallery_extras(media, [f.path for f in files], sound, partial)
                detail = f"{len(files)} images{extras}"
                final = self._place(work, partial, partial.with_name(item.item_id))
            else:
                chosen, file = await client.download_video(media, partial, session)
                sound_file = partial / f"{item.item_id}.m4a"
                extras = await self._sound_of(file.path, sound_file) if self.audio else ""
                if sound_file.exists():
                    self._place(work, sound_file, work.folders[0] / sound_file.name)
                final = self._place(work, file.path, work.folders[0] / f"{item.item_id}.mp4")
                detail = f"video {chosen.width}x{chosen.height} {chosen.codec} {file.size / 1e6:.1f} MB{extras}"
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        self.state.finished(self._key(work), final)
        way = " by its id (its URL did not serve)" if work.media_url else ""
        return Outcome(work.source, OK, item.item_id, f"{detail}{way} -> {final}")

    def _settled(self, work: Work) -> Outcome | None:
        """Already fetched by this run (a duplicate) or an earlier one (already there): linked into this
        work's folders, not fetched again."""
        key = self._key(work)
        if (first := self._claimed.get(key)) is not None and first is not work:
            first.folders += [folder for folder in work.folders if folder not in first.folders]
            if (path := self._placed.get(key)) is not None:
                self._link_everywhere(first, path)
            return Outcome(work.source, DUPLICATE, work.item_id)
        self._claimed[key] = work
        if (path := self.state.done(key) or self._flat(work)) is not None:
            self._placed[key] = path
            self._link_everywhere(work, path)
            return Outcome(work.source, EXISTS, work.item_id, str(path))
        return None

    def _flat(self, work: Work) -> Path | None:
        """What an earlier run without a state file left (`fetch` before it kept one)."""
        folder = work.folders[0]
        return next((path for path in (folder / f"{work.item_id}.mp4", folder / str(work.item_id)) if path.exists()),
                    None)

    async def _by_url(self, work: Work, client: MediaClient) -> Outcome | None:
        """The export's own media URL, when it is allowed and fresh; None to go the normal way."""
        url, item_id = work.media_url, work.item_id
        if url is None or item_id is None:
            return None
        if expired(url):
            log.info("%s: its URL expired; resolving %s by its id", work.source, item_id)
            return None
        partial = work.folders[0] / f".partial-{item_id}.mp4"
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            size = await client.download_direct(MediaRequest(url), partial, client.session())
            refusal = None if is_mp4(partial) else "it served no MP4 video"
        except MediaError as exc:
            refusal = str(exc)
        if refusal is not None:
            partial.unlink(missing_ok=True)
            log.info("%s: its URL was refused (%s); resolving %s by its id", work.source, refusal, item_id)
            return None
        sound = partial.with_suffix(".m4a")
        try:
            extras = await self._sound_of(partial, sound) if self.audio else ""
            if sound.exists():
                self._place(work, sound, work.folders[0] / f"{item_id}.m4a")
        finally:
            sound.unlink(missing_ok=True)
        final = self._place(work, partial, work.folders[0] / f"{item_id}.mp4")
        self.state.finished(self._key(work), final)
        return Outcome(work.source, OK, item_id, f"video {size / 1e6:.1f} MB{extras} by its URL -> {final}")

    def _key(self, work: Work) -> str:
        key = work.key
        if key is None:
            raise ValueError(f"{work.source} has no item id yet")
        return key

    def _place(self, work: Work, source: Path, target: Path) -> Path:
        """Move the finished file or folder into the first folder, then link it into the others."""
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        if target.suffix != ".m4a":
            self._placed[self._key(work)] = target
        self._link_everywhere(work, target)
        return target

    @staticmethod
    def _link_everywhere(work: Work, path: Path) -> None:
        for folder in work.folders:
            copy = folder / path.name
            if copy != path and not copy.exists():
                link_tree(path, copy)

    async def _gallery_extras(self, gallery: Gallery, files: list[Path], sound: Path | None, directory: Path) -> str:
        """The slideshow as one video and the clips' sounds, beside the pictures, as asked."""
        notes = ""
        if self.slideshow_video and self.encoding is not None and gallery.is_slideshow:
            await self.encoding.render_slideshow(files, sound, directory / f"{gallery.item.item_id}.mp4",
                                                 max_bytes=NO_LIMIT)
            notes += " + slideshow video"
        if self.audio:
            clips = [path for entry, path in zip(gallery.entries, files, strict=True) if entry.kind is EntryKind.VIDEO]
            for clip in clips:
                notes += await self._sound_of(clip, clip.with_suffix(".m4a"))
        return notes

    async def _sound_of(self, video: Path, output: Path) -> str:
        """Its sound into `output` (" + sound"), or a note that it has none (not a failure: the video is there)."""
        if self.encoding is None:
            return ""
        try:
            await self.encoding.extract_audio(video, output)
        except NoSoundError:
            return " (no sound)"
        return " + sound"


def expired(url: str, now: float | None = None) -> bool:
    """A signed CDN URL past its expiry time (x-expires / expire, in Unix seconds)."""
    query = {name.lower(): values for name, values in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}
    stamps = [int(values[0]) for name in EXPIRY_PARAMETERS
              if (values := query.get(name)) and values[0].isascii() and values[0].isdecimal()]
    return bool(stamps) and min(stamps) <= (time.time() if now is None else now)


def is_mp4(path: Path) -> bool:
    """An ISO media file: its first box is `ftyp` (a page or a picture behind a media URL is not)."""
    with path.open("rb") as file:
        return file.read(12)[4:8] == b"ftyp"


def link_tree(source: Path, target: Path) -> None:
    """A hard link of a file, or of every file of a folder; a copy where the file system refuses links."""
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for child in source.iterdir():
            link_tree(child, target / child.name)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)

