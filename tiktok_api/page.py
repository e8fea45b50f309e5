"""Reading a TikTok item page in a yt-dlp worker thread: the item data, yt-dlp's parsed formats, and the
cookies the CDN will ask for. Runs through pipeline.YtDlpExtractor, never on the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yt_dlp import YoutubeDL

from pipeline import (
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    MediaError,
    NetworkError,
    RegionBlockedError,
    UnsupportedError,
)

# statusCode of webapp.video-detail for items that will never be served, whatever proxy asks.
PERMANENT_STATUSES: dict[int, type[MediaError]] = {
    10204: ItemDeletedError,
    10216: ItemUnderReviewError,
    10222: ItemPrivateError,
}
REGION_STATUSES = frozenset({10231})


@dataclass(frozen=True, slots=True)
class PageData:
    """What one page fetch yields: the raw item, yt-dlp's parsed info for videos, and the cookie
    header the CDN expects for each media URL (tt_chain_token is set by the page)."""

    item: dict[str, Any]
    info: dict[str, Any] | None
    cookie_headers: dict[str, str]


def tiktok_page(ydl: YoutubeDL, url: str, item_id: str) -> PageData:
    """The TikTok item from its page, through the extractor's own page reading: its statusCode tells
    deleted, private and the like apart, and photo posts (which yt-dlp does not expose) are in the item."""
    # yt-dlp's public extract_info would drop photo posts and hide the status code; these two methods of its
    # TikTok extractor are what extract_info itself calls (the version is pinned in pyproject.toml).
    extractor = ydl.get_info_extractor("TikTok")
    item, status = extractor._extract_web_data_and_status(url, item_id)  # noqa: SLF001
    if status != 0 or not item:
        raise _status_error(status)
    info = None if item.get("imagePost") else extractor._parse_aweme_video_web(item, url, item_id)  # noqa: SLF001
    return PageData(item=item, info=info, cookie_headers=_cookie_headers(ydl, item, info))


def _status_error(status: int) -> MediaError:
    if status in PERMANENT_STATUSES:
        return PERMANENT_STATUSES[status](f"TikTok status {status}")
    if status in REGION_STATUSES:
        return RegionBlockedError(f"TikTok status {status}")
    if status == 0:  # a page without the item: an anti-bot or error page, worth another proxy
        return NetworkError("the page held no item data")
    return UnsupportedError(f"TikTok status {status}")


def _cookie_headers(ydl: YoutubeDL, item: dict[str, Any], info: dict[str, Any] | None) -> dict[str, str]:
    """The Cookie header a browser would send to each media URL of this item, from yt-dlp's jar."""
    urls = [fmt["url"] for fmt in (info or {}).get("formats", []) if fmt.get("url")]
    urls += [image_url for image in (item.get("imagePost") or {}).get("images", [])
             for image_url in (image.get("imageURL") or {}).get("urlList", [])[:1]]
    headers = {}
    for url in urls:
        header = ydl.cookiejar.get_cookie_header(url)
        if header:
            headers[url] = header
    return headers
