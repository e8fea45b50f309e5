"""TikTokClient: stage 2 for TikTok (its page, read by the real yt-dlp extractor) turned into the pipeline's
models; stages 1 and 3, proxies and budgets are pipeline.MediaClient's."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from pipeline import (
    EntryKind,
    Gallery,
    GalleryEntry,
    ItemRef,
    MediaClient,
    MediaInfo,
    MediaRequest,
    Music,
    ProxySession,
    UnsupportedError,
    Video,
    VideoFormat,
    int_or_none,
    short_url,
)
from tiktok_api.links import LINKS, is_media_host
from tiktok_api.page import PageData, tiktok_page

log = logging.getLogger(__name__)


class TikTokClient(MediaClient):
    links = LINKS

    async def extract(self, item: ItemRef, session: ProxySession) -> MediaInfo:
        """The item's media: a video with its formats, or a slideshow's images; plus the sound.
        MAX_VIDEO_DURATION is checked here, before anything is downloaded."""

        async def fetch() -> PageData:
            return await self._extractor.run(session.proxy, tiktok_page, item.url, item.item_id)

        page = await self._stage("extract", session, fetch, subject=item.item_id)
        return _gallery(item, page) if page.item.get("imagePost") else self.too_long(_video(item, page))


def _media(url: str, page: PageData, referer: str, size: int | None = None) -> MediaRequest | None:
    if not is_media_host(urlsplit(url).hostname):
        log.warning("ignoring a media URL outside the CDN allowlist: %s", short_url(url))
        return None
    headers = [("Referer", referer)]
    if cookie := page.cookie_headers.get(url):
        headers.append(("Cookie", cookie))
    return MediaRequest(url, tuple(headers), size)


def _music(item: ItemRef, page: PageData) -> Music | None:
    music: dict[str, Any] = page.item.get("music") or {}
    play_url = music.get("playUrl")
    if not play_url:
        return None
    cover_url = music.get("coverLarge") or music.get("coverMedium") or music.get("coverThumb")
    return Music(
        media=_media(play_url, page, item.url),
        title=music.get("title") or "",
        author=music.get("authorName") or "",
        duration=int_or_none(music.get("duration")),
        cover=_media(cover_url, page, item.url) if cover_url else None,
    )


def _video(item: ItemRef, page: PageData) -> Video:
    info = page.info or {}
    formats = []
    for fmt in info.get("formats", []):
        if fmt.get("vcodec") in (None, "none") or fmt.get("format_id") == "download":  # audio, watermarked
            continue
        media = _media(fmt["url"], page, item.url, int_or_none(fmt.get("filesize")))
        if media is not None:
            formats.append(VideoFormat(
                media=media, codec=str(fmt.get("vcodec")), width=int_or_none(fmt.get("width")),
                height=int_or_none(fmt.get("height")), bitrate=int_or_none(fmt.get("tbr")),
                format_id=str(fmt.get("format_id", "")), has_audio=fmt.get("acodec") != "none",
            ))
    if not formats:
        raise UnsupportedError(f"{item.item_id} has no playable video")
    video = page.item.get("video") or {}
    cover_url = video.get("cover") or video.get("originCover")
    return Video(
        item=item,
        formats=tuple(formats),
        duration=int_or_none(video.get("duration")) or int_or_none(info.get("duration")),
        description=page.item.get("desc") or "",
        author=(page.item.get("author") or {}).get("uniqueId") or "",
        cover=_media(cover_url, page, item.url) if cover_url else None,
        music=_music(item, page),
    )


def _gallery(item: ItemRef, page: PageData) -> Gallery:
    """A photo post (slideshow): its images in order, and its sound."""
    images = []
    for image in page.item["imagePost"].get("images", []):
        urls = (image.get("imageURL") or {}).get("urlList") or []
        if urls and (media := _media(urls[0], page, item.url)) is not None:
            images.append(GalleryEntry(EntryKind.PHOTO, media, int_or_none(image.get("imageWidth")),
                                       int_or_none(image.get("imageHeight"))))
    if not images:
        raise UnsupportedError(f"{item.item_id} is a photo post without images")
    return Gallery(
        item=ItemRef(item.item_id, item.url, is_photo=True),
        entries=tuple(images),
        description=page.item.get("desc") or "",
        author=(page.item.get("author") or {}).get("uniqueId") or "",
        music=_music(item, page),
    )
