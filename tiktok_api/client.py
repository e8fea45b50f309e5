"""TikTokClient: the three stages (resolve, extract, download), each with its own retry budget, through
one sticky ProxySession per request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from data.config import PipelineSettings
from tiktok_api.cdn import CdnClient, MediaStream
from tiktok_api.errors import (
    InvalidLinkError,
    TooLargeError,
    TooLongError,
    UnsupportedError,
)
from tiktok_api.extractor import PageData, YtDlpExtractor
from tiktok_api.http import HttpClient
from tiktok_api.links import (
    LinkKind,
    TikTokLink,
    is_media_host,
    is_page_host,
    parse_link,
)
from tiktok_api.models import (
    DownloadedFile,
    ItemRef,
    MediaInfo,
    MediaRequest,
    Music,
    Slideshow,
    Video,
    VideoFormat,
)
from tiktok_api.proxies import ProxyManager, ProxySession
from tiktok_api.stages import run_stage

log = logging.getLogger(__name__)
T = TypeVar("T")

IMAGE_CONCURRENCY = 4
UNPLAYABLE_CODECS = frozenset({"bytevc2"})
# H.264 wins unless the best H.265 is clearly sharper: many Telegram clients show H.265 as grey frames.
COMPARABLE_HEIGHT = 0.7


class TikTokClient:
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
        self._resolve_budget = settings.url_resolve_max_retries
        self._extract_budget = settings.video_info_max_retries
        self._download_budget = settings.download_max_retries
        self._max_duration = settings.max_video_duration

    async def close(self) -> None:
        await self._http.close()
        await self._cdn.close()
        self._extractor.close()

    @staticmethod
    def item_url(item_id: str) -> str:
        """The canonical page of an item known only by its id (e.g. from a button)."""
        return f"https://www.tiktok.com/@_/video/{item_id}"

    def session(self) -> ProxySession:
        """A new request's sticky place in the proxy rotation."""
        return self.proxies.session()

    # Stage 1 --------------------------------------------------------------------------------------

    async def resolve(self, link: TikTokLink, session: ProxySession) -> ItemRef:
        """Any link form -> the canonical item. Item links need no network; short links are followed
        hop by hop, every hop checked against the allowlist."""
        if link.kind is not LinkKind.SHORT:
            log.debug("resolve %s: an item link, nothing to fetch", link.url)
            return ItemRef(link.item_id, link.canonical_url, is_photo=link.kind is LinkKind.PHOTO)

        async def follow() -> ItemRef:
            final_url = await self._http.resolve_redirects(
                link.url, proxy=session.proxy, allowed=is_page_host, is_final=_is_item_link,
            )
            target = parse_link(final_url)
            if target is None or target.kind is LinkKind.SHORT:
                raise InvalidLinkError(f"{link.url} does not lead to a TikTok item")
            return ItemRef(target.item_id, target.canonical_url, is_photo=target.kind is LinkKind.PHOTO)

        return await run_stage("resolve", self._resolve_budget, session, follow, subject=link.url)

    # Stage 2 --------------------------------------------------------------------------------------

    async def extract(self, item: ItemRef, session: ProxySession) -> MediaInfo:
        """The item's media: a video with its formats, or a slideshow's images; plus the sound.
        MAX_VIDEO_DURATION is checked here, before anything is downloaded."""

        async def fetch() -> PageData:
            return await self._extractor.fetch(item.url, item.item_id, session.proxy)

        page = await run_stage("extract", self._extract_budget, session, fetch, subject=item.item_id)
        media = _slideshow(item, page) if page.item.get("imagePost") else _video(item, page)
        if isinstance(media, Video) and self._max_duration and (media.duration or 0) > self._max_duration:
            raise TooLongError(f"{media.duration} s is longer than {self._max_duration} s")
        return media

    # Stage 3 --------------------------------------------------------------------------------------

    async def download(
        self, media: MediaRequest, destination: Path, session: ProxySession, *, max_bytes: int | None = None,
    ) -> DownloadedFile:
        """One resource into a file (for what needs converting, and for the CLI), with its own retry budget."""

        async def fetch() -> DownloadedFile:
            size = await self._cdn.download(
                media, destination, proxy=session.media_proxy, max_bytes=max_bytes, allowed=is_media_host,
            )
            return DownloadedFile(destination, size)

        return await run_stage("download", self._download_budget, session, fetch, subject=_short(media.url))

    async def stream(
        self, media: MediaRequest, session: ProxySession, consume: Callable[[MediaStream], Awaitable[T]],
        *, max_bytes: int | None = None,
    ) -> T:
        """Hand the open CDN stream to `consume` (an upload, typically) as bytes arrive. A failure of the
        download or of the consumer (raised as a retryable MediaError) repeats both, within the download
        stage's budget."""

        async def attempt() -> T:
            async with self._cdn.open(media, proxy=session.media_proxy, max_bytes=max_bytes,
                                      allowed=is_media_host) as stream:
                return await consume(stream)

        return await run_stage("download", self._download_budget, session, attempt, subject=_short(media.url))

    async def stream_video(
        self, video: Video, session: ProxySession, consume: Callable[[VideoFormat, MediaStream], Awaitable[T]],
        *, max_bytes: int | None = None,
    ) -> T:
        """The best format that fits `max_bytes`, streamed into `consume`; when one turns out bigger than
        TikTok announced, the next smaller one."""
        for video_format in rank_formats(video.formats, max_bytes):
            try:
                return await self.stream(video_format.media, session,
                                         lambda stream, f=video_format: consume(f, stream), max_bytes=max_bytes)
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

    async def download_images(
        self, slideshow: Slideshow, directory: Path, session: ProxySession,
    ) -> list[DownloadedFile]:
        """All images, in order, a few at a time; each image has its own retries, so one failing
        image does not restart the others."""
        limit = asyncio.Semaphore(IMAGE_CONCURRENCY)

        async def one(index: int, image: MediaRequest) -> DownloadedFile:
            async with limit:
                name = f"{slideshow.item.item_id}_{index:02d}{_extension(image.url, '.jpg')}"
                return await self.download(image, directory / name, session)

        return list(await asyncio.gather(*(one(i, image) for i, image in enumerate(slideshow.images, 1))))


def _is_item_link(url: str) -> bool:
    link = parse_link(url)
    return link is not None and link.kind is not LinkKind.SHORT


def rank_formats(formats: tuple[VideoFormat, ...], max_bytes: int | None) -> list[VideoFormat]:
    """Playable formats that may fit, best first: the sharpest H.264 unless an H.265 is clearly sharper."""
    fitting = [
        f for f in formats
        if f.codec.lower() not in UNPLAYABLE_CODECS and (max_bytes is None or (f.media.size or 0) <= max_bytes)
    ]
    if not fitting:
        raise TooLargeError(f"every format is over {max_bytes} bytes")

    def quality(f: VideoFormat) -> tuple[int, int, int]:
        return (f.height or 0) * (f.width or 0), f.bitrate or 0, f.media.size or 0

    best_height = max(f.height or 0 for f in fitting)

    def preference(f: VideoFormat) -> tuple[bool, tuple[int, int, int]]:
        comparable_h264 = f.is_h264 and (f.height or 0) >= COMPARABLE_HEIGHT * best_height
        return comparable_h264, quality(f)

    return sorted(fitting, key=preference, reverse=True)


def _media(url: str, page: PageData, referer: str, size: int | None = None) -> MediaRequest | None:
    if not is_media_host(urlsplit(url).hostname):
        log.warning("ignoring a media URL outside the CDN allowlist: %s", _short(url))
        return None
    headers = [("Referer", referer)]
    if cookie := page.cookie_headers.get(url):
        headers.append(("Cookie", cookie))
    return MediaRequest(url, tuple(headers), size)


def _music(item: ItemRef, page: PageData) -> Music | None:
    music = page.item.get("music") or {}
    play_url = music.get("playUrl")
    if not play_url:
        return None
    cover_url = music.get("coverLarge") or music.get("coverMedium") or music.get("coverThumb")
    return Music(
        media=_media(play_url, page, item.url),
        title=music.get("title") or "",
        author=music.get("authorName") or "",
        duration=_int(music.get("duration")),
        cover=_media(cover_url, page, item.url) if cover_url else None,
    )


def _video(item: ItemRef, page: PageData) -> Video:
    info = page.info or {}
    formats = []
    for fmt in info.get("formats", []):
        if fmt.get("vcodec") in (None, "none") or fmt.get("format_id") == "download":  # audio, watermarked
            continue
        media = _media(fmt["url"], page, item.url, _int(fmt.get("filesize")))
        if media is not None:
            formats.append(VideoFormat(
                media=media, codec=str(fmt.get("vcodec")), width=_int(fmt.get("width")),
                height=_int(fmt.get("height")), bitrate=_int(fmt.get("tbr")), format_id=str(fmt.get("format_id", "")),
            ))
    if not formats:
        raise UnsupportedError(f"{item.item_id} has no playable video")
    video = page.item.get("video") or {}
    cover_url = video.get("cover") or video.get("originCover")
    return Video(
        item=item,
        formats=tuple(formats),
        duration=_int(video.get("duration")) or _int(info.get("duration")),
        description=page.item.get("desc") or "",
        author=(page.item.get("author") or {}).get("uniqueId") or "",
        cover=_media(cover_url, page, item.url) if cover_url else None,
        music=_music(item, page),
    )


def _slideshow(item: ItemRef, page: PageData) -> Slideshow:
    images = []
    for image in page.item["imagePost"].get("images", []):
        urls = (image.get("imageURL") or {}).get("urlList") or []
        if urls and (media := _media(urls[0], page, item.url)) is not None:
            images.append(media)
    if not images:
        raise UnsupportedError(f"{item.item_id} is a photo post without images")
    return Slideshow(
        item=ItemRef(item.item_id, item.url, is_photo=True),
        images=tuple(images),
        description=page.item.get("desc") or "",
        author=(page.item.get("author") or {}).get("uniqueId") or "",
        music=_music(item, page),
    )


def _int(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _extension(url: str, default: str) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    return suffix if suffix in (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif") else default


def _short(url: str) -> str:
    """A URL for logs: host and path, without signatures and tokens in the query."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"
