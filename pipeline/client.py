"""What every platform's client shares: the sticky proxy session, the stage runner's budgets, stage 1 for
links that must be followed, and stage 3 (streaming and downloading from the platform's CDN, with the
platform's media allowlist). A platform adds its link rules and its extraction (stage 2)."""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar, TypeVar

from cachetools import TTLCache

from data import Platform
from data.config import PipelineSettings
from pipeline.cdn import CdnClient, MediaStream
from pipeline.errors import InvalidLinkError, MediaError, ProxyUnreachableError, TooLargeError, TooLongError
from pipeline.extractor import YtDlpExtractor
from pipeline.formats import rank_formats
from pipeline.http import HttpClient
from pipeline.links import Link, LinkRules
from pipeline.models import (
    DownloadedFile,
    EntryKind,
    Gallery,
    ItemRef,
    MediaInfo,
    MediaRequest,
    Video,
    VideoFormat,
)
from pipeline.proxies import Outcome, ProxyManager, ProxySession
from pipeline.stages import run_stage
from pipeline.urls import media_suffix, short_url
from pipeline.watch import StageWatch

log = logging.getLogger(__name__)
T = TypeVar("T")

GALLERY_CONCURRENCY = 4


class MediaClient(ABC):
    """The base of TikTokClient and InstagramClient: a platform sets `links` and implements `extract`."""

    links: ClassVar[LinkRules]

    def __init__(self, settings: PipelineSettings, *, extraction_workers: int = 4) -> None:
        self.proxies = ProxyManager(
            settings.proxies, include_host=settings.proxy_include_host, data_only=settings.proxy_data_only,
        )
        self._http = HttpClient(ca_file=settings.ssl_cert_file)
        self._cdn = CdnClient(ca_file=settings.ssl_cert_file)
        self._extractor = YtDlpExtractor(
            workers=extraction_workers, cookies_file=settings.ytdlp_cookies,
            custom_ca=settings.ssl_cert_file is not None,
        )
        self._budgets = {"resolve": settings.url_resolve_max_retries, "extract": settings.video_info_max_retries,
                         "download": settings.download_max_retries}
        self.watch = StageWatch(self.platform, window=settings.stage_alert_window, ratio=settings.stage_alert_ratio)
        self._max_duration = settings.max_video_duration
        # Short links already followed: a viral link pasted again costs no request.
        self._resolved: TTLCache[str, ItemRef] = TTLCache(maxsize=10_000, ttl=6 * 3600)

    async def close(self) -> None:
        await self._http.close()
        await self._cdn.close()
        self._extractor.close()

    def session(self) -> ProxySession:
        """A new request's sticky place in the proxy rotation."""
        return self.proxies.session()

    @property
    def platform(self) -> Platform:
        return self.links.platform

    async def _stage(self, stage: str, session: ProxySession, attempt: Callable[[], Awaitable[T]], *,
                     subject: str = "", media: bool = False) -> T:
        """One stage with its own budget, watched for the platform breaking (pipeline.stages.run_stage)."""
        return await run_stage(stage, self._budgets[stage], session, attempt, subject=subject, media=media,
                               watch=self.watch)

    def too_long(self, video: Video) -> Video:
        """MAX_VIDEO_DURATION, checked after extraction and before anything is downloaded."""
        if self._max_duration and (video.duration or 0) > self._max_duration:
            raise TooLongError(f"{video.duration} s is longer than {self._max_duration} s")
        return video

    # Stage 1 --------------------------------------------------------------------------------------

    async def resolve(self, link: Link, session: ProxySession) -> ItemRef:
        """Stage 1: any link form -> the item. Item links need no network; short links are followed hop by
        hop (every hop checked against the allowlist), once: the answer is remembered for a while."""
        if (named := link.item()) is not None:
            log.debug("resolve %s: an item link, nothing to fetch", link.url)
            return named
        if (known := self._resolved.get(link.url)) is not None:
            log.debug("resolve %s: followed before, it is %s", link.url, known.item_id)
            return known
        item = await self._stage("resolve", session, lambda: self._follow(link, session), subject=link.url)
        self._resolved[link.url] = item
        return item

    async def _follow(self, link: Link, session: ProxySession) -> ItemRef:
        final_url = await self._http.resolve_redirects(
            link.url, proxy=session.proxy, allowed=self.links.is_page_host,
            is_final=lambda url: getattr(self.links.parse(url), "item_id", None) is not None,
        )
        target = self.links.parse(final_url)
        item = target.item() if target is not None else None
        if item is None:
            raise InvalidLinkError(f"{link.url} does not lead to a {self.platform} post")
        return item

    # Stage 2 --------------------------------------------------------------------------------------

    @abstractmethod
    async def extract(self, item: ItemRef, session: ProxySession) -> MediaInfo:
        """Stage 2: the item's media."""

    # Stage 3 --------------------------------------------------------------------------------------

    async def download_direct(self, media: MediaRequest, destination: Path, session: ProxySession) -> int:
        """One attempt at a media URL from outside (a scraper's export): allow-listed hop by hop like every
        download, through the request's proxy, not retried and not held against the proxy (a refusal is about
        the URL: signed addresses expire). Its size."""
        await session.prepare(media=True)
        try:
            size = await self._cdn.download(media, destination, proxy=session.media_proxy, max_bytes=None,
                                            allowed=self.links.is_media_host)
        except ProxyUnreachableError:
            session.report(Outcome.UNREACHABLE, media=True)
            raise
        except MediaError:
            session.report(Outcome.REACHED, media=True)  # the proxy did its part; the CDN refused the URL
            raise
        except BaseException:
            session.abandon()
            raise
        session.report(Outcome.REACHED, media=True)
        return size

    async def download(
        self, media: MediaRequest, destination: Path, session: ProxySession, *, max_bytes: int | None = None,
    ) -> DownloadedFile:
        """One resource into a file (for what needs converting, and for the CLI), with its own retry budget."""

        async def fetch() -> DownloadedFile:
            size = await self._cdn.download(
                media, destination, proxy=session.media_proxy, max_bytes=max_bytes, allowed=self.links.is_media_host,
            )
            return DownloadedFile(destination, size)

        return await self._stage("download", session, fetch, subject=short_url(media.url), media=True)

    async def stream(
        self, media: MediaRequest, session: ProxySession, consume: Callable[[MediaStream], Awaitable[T]],
        *, max_bytes: int | None = None,
    ) -> T:
        """Hand the open CDN stream to `consume` (an upload, typically) as bytes arrive. A failure of the
        download or of the consumer (raised as a retryable MediaError) repeats both, within the download
        stage's budget."""

        async def attempt() -> T:
            async with self._cdn.open(media, proxy=session.media_proxy, max_bytes=max_bytes,
                                      allowed=self.links.is_media_host) as stream:
                return await consume(stream)

        return await self._stage("download", session, attempt, subject=short_url(media.url), media=True)

    async def stream_video(
        self, video: Video, session: ProxySession, consume: Callable[[VideoFormat, MediaStream], Awaitable[T]],
        *, max_bytes: int | None = None, formats: list[VideoFormat] | None = None,
    ) -> T:
        """The best format that fits `max_bytes` (of `formats`, ranked, when the caller narrowed them down),
        streamed into `consume`; when one turns out bigger than announced, the next smaller one."""
        for video_format in formats if formats is not None else rank_formats(video.formats, max_bytes):
            try:
                return await self.stream(video_format.media, session, functools.partial(consume, video_format),
                                         max_bytes=max_bytes)
            except TooLargeError:
                log.info("format %s of %s is over the limit; trying a smaller one", video_format.format_id,
                         video.item.item_id)
        raise TooLargeError(f"no format of {video.item.item_id} fits in {max_bytes} bytes")

    async def download_video(
        self, video: Video, directory: Path, session: ProxySession, *, max_bytes: int | None = None,
    ) -> tuple[VideoFormat, DownloadedFile]:
        """The best format that fits, saved to `directory` (the CLI's way; the bot streams instead)."""
        destination = directory / f"{video.item.item_id}.mp4"

        async def save(video_format: VideoFormat, stream: MediaStream) -> tuple[VideoFormat, DownloadedFile]:
            size = 0
            try:
                with destination.open("wb") as file:
                    async for chunk in stream.chunks():
                        file.write(chunk)
                        size += len(chunk)
            except BaseException:
                destination.unlink(missing_ok=True)
                raise
            return video_format, DownloadedFile(destination, size)

        return await self.stream_video(video, session, save, max_bytes=max_bytes)

    async def download_gallery(
        self, gallery: Gallery, directory: Path, session: ProxySession, *, max_bytes: int | None = None,
    ) -> list[DownloadedFile]:
        """Every entry, in order, a few at a time; each has its own retries, so one failing picture does
        not restart the others."""
        limit = asyncio.Semaphore(GALLERY_CONCURRENCY)

        async def one(index: int, media: MediaRequest, default_suffix: str) -> DownloadedFile:
            async with limit:
                name = f"{gallery.item.item_id}_{index:02d}{media_suffix(media.url, default_suffix)}"
                return await self.download(media, directory / name, session, max_bytes=max_bytes)

        return list(await asyncio.gather(*(
            one(i, entry.media, ".mp4" if entry.kind is EntryKind.VIDEO else ".jpg")
            for i, entry in enumerate(gallery.entries, 1)
        )))
