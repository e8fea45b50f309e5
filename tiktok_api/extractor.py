"""Stage 2's engine: the real yt-dlp TikTok extractor, run off the event loop in a bounded thread pool.
Each worker thread keeps one YoutubeDL per proxy (they are not safe to share between threads, and
building one per request costs more than the extraction's CPU)."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from yt_dlp import YoutubeDL
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError

from tiktok_api.errors import (
    ClassifiedContentError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    MediaError,
    NetworkError,
    RateLimitedError,
    RegionBlockedError,
    UnsupportedError,
)

log = logging.getLogger(__name__)

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

    item: dict
    info: dict | None
    cookie_headers: dict[str, str]


class _YtDlpLogger:
    """yt-dlp's chatter goes to our DEBUG log; its warnings and errors stay visible."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    info = debug

    def warning(self, message: str) -> None:
        log.debug("yt-dlp warning: %s", message)

    def error(self, message: str) -> None:
        log.debug("yt-dlp error: %s", message)


class YtDlpExtractor:
    def __init__(self, *, workers: int = 4, cookies_file: Path | None = None, custom_ca: bool = False) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yt-dlp")
        self._local = threading.local()
        self._params = {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": _YtDlpLogger(),
            "socket_timeout": 20,
            "extractor_retries": 0,  # the pipeline retries, on another proxy
            "cookiefile": str(cookies_file) if cookies_file else None,
            # With a custom CA bundle, trust what SSL_CERT_FILE says instead of certifi's bundle.
            "compat_opts": ["no-certifi"] if custom_ca else [],
        }

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def fetch(self, url: str, item_id: str, proxy: str | None) -> PageData:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._fetch, url, item_id, proxy)

    def _youtube_dl(self, proxy: str | None) -> YoutubeDL:
        cache = self._local.__dict__.setdefault("by_proxy", {})
        if proxy not in cache:
            # No proxy given: the machine's own route, honouring HTTPS_PROXY like every other client.
            cache[proxy] = YoutubeDL({**self._params, **({"proxy": proxy} if proxy else {})})
        return cache[proxy]

    def _fetch(self, url: str, item_id: str, proxy: str | None) -> PageData:
        ydl = self._youtube_dl(proxy)
        extractor = ydl.get_info_extractor("TikTok")
        try:
            item, status = extractor._extract_web_data_and_status(url, item_id)
            if status != 0 or not item:
                raise _status_error(status, item)
            info = None if item.get("imagePost") else extractor._parse_aweme_video_web(item, url, item_id)
        except (ExtractorError, DownloadError) as exc:
            raise classify(exc) from None
        return PageData(item=item, info=info, cookie_headers=_cookie_headers(ydl, item, info))


def _status_error(status: int, item: dict | None) -> MediaError:
    if status in PERMANENT_STATUSES:
        return PERMANENT_STATUSES[status](f"TikTok status {status}")
    if status in REGION_STATUSES:
        return RegionBlockedError(f"TikTok status {status}")
    if status == 0:  # a page without the item: an anti-bot or error page, worth another proxy
        return NetworkError("the page held no item data")
    return UnsupportedError(f"TikTok status {status}")


def classify(exc: BaseException) -> MediaError:
    """yt-dlp's exception -> our typed error: login walls are permanent, HTTP and transport failures
    are transient."""
    cause = getattr(exc, "cause", None) or (getattr(exc, "exc_info", None) or (None, None))[1]
    message = str(getattr(exc, "orig_msg", exc)).split(" See https://curl.se/")[0]
    if isinstance(cause, HTTPError):
        return (RateLimitedError if cause.status == 429 else NetworkError)(f"HTTP {cause.status}: {message}")
    if isinstance(cause, TransportError):
        return NetworkError(message)
    lowered = message.lower()
    if "comfortable for some audiences" in lowered:
        return ClassifiedContentError(message)
    if "login" in lowered or "log in" in lowered:
        return LoginRequiredError(message)
    if "unable to extract" in lowered or "unable to download" in lowered:
        return NetworkError(message)
    return UnsupportedError(message)


def _cookie_headers(ydl: YoutubeDL, item: dict, info: dict | None) -> dict[str, str]:
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
