"""InstagramClient: reels, photo posts and carousels through the same stages, proxies, budgets and CDN
streaming as every platform (pipeline.MediaClient); only the links and the extraction are Instagram's."""

from __future__ import annotations

import logging
from typing import Any

from yt_dlp import YoutubeDL

from instagram_api.links import LINKS, is_media_host
from pipeline import (
    EntryKind,
    Gallery,
    GalleryEntry,
    ItemRef,
    MediaClient,
    MediaInfo,
    MediaRequest,
    ProxySession,
    UnsupportedError,
    Video,
    VideoFormat,
    host_of,
    int_or_none,
    rank_formats,
)

log = logging.getLogger(__name__)

REFERER = (("Referer", "https://www.instagram.com/"),)


def instagram_post(ydl: YoutubeDL, url: str) -> dict[str, Any]:
    """yt-dlp's Instagram extractor (its logged-out flow, or the cookies of YTDLP_COOKIES) without the
    processing step: a single post, or a playlist whose photo entries have no formats."""
    info: dict[str, Any] = ydl.extract_info(url, download=False, process=False)
    return info


class InstagramClient(MediaClient):
    links = LINKS

    async def extract(self, item: ItemRef, session: ProxySession) -> MediaInfo:
        """A reel becomes a Video; a photo post or a carousel a Gallery of photos and clips in order."""

        async def fetch() -> dict[str, Any]:
            return await self._extractor.run(session.proxy, instagram_post, item.url)

        info = await self._stage("extract", session, fetch, subject=item.item_id)
        entries = list(info.get("entries") or []) if info.get("_type") == "playlist" else None
        if entries is None and info.get("formats"):
            return self.too_long(_video(item, info))
        gallery_entries = tuple(filter(None, (_entry(entry) for entry in (entries or [info]))))
        if not gallery_entries:
            raise UnsupportedError(f"{item.item_id} has nothing to download")
        return Gallery(item=item, entries=gallery_entries, description=info.get("description") or "",
                       author=info.get("channel") or "")


def _formats(info: dict[str, Any]) -> tuple[VideoFormat, ...]:
    return tuple(
        VideoFormat(media=MediaRequest(f["url"], REFERER, int_or_none(f.get("filesize"))),
                    codec=str(f.get("vcodec") or "h264").split(".")[0].replace("avc1", "h264"),
                    width=int_or_none(f.get("width")), height=int_or_none(f.get("height")),
                    bitrate=int_or_none(f.get("tbr")), format_id=str(f.get("format_id", "")),
                    has_audio=f.get("acodec") != "none")
        for f in info.get("formats") or []
        if f.get("url") and f.get("vcodec") != "none" and is_media_host(host_of(f["url"]))
    )


def _best_picture(info: dict[str, Any]) -> dict[str, Any] | None:
    """The largest of the post's pictures (yt-dlp lists them as thumbnails, small first)."""
    pictures = [t for t in info.get("thumbnails") or [] if t.get("url") and is_media_host(host_of(t["url"]))]
    return max(pictures, key=lambda t: t.get("width") or 0, default=None)


def _video(item: ItemRef, info: dict[str, Any]) -> Video:
    cover = _best_picture(info)
    return Video(
        item=item, formats=_formats(info), duration=int_or_none(info.get("duration")),
        description=info.get("description") or "", author=info.get("channel") or "",
        cover=MediaRequest(cover["url"], REFERER) if cover else None, music=None,
    )


def _entry(info: dict[str, Any]) -> GalleryEntry | None:
    """A carousel entry: a clip (its best H.264 format) or a picture (its largest version)."""
    if formats := _formats(info):
        best = rank_formats(formats, None)[0]
        return GalleryEntry(EntryKind.VIDEO, best.media, best.width, best.height, int_or_none(info.get("duration")))
    picture = _best_picture(info)
    if picture is None:
        log.warning("a carousel entry without a picture or a clip: %s", info.get("id"))
        return None
    return GalleryEntry(EntryKind.PHOTO, MediaRequest(picture["url"], REFERER), int_or_none(picture.get("width")),
                        int_or_none(picture.get("height")))
