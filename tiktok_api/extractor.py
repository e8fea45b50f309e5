"""Stage 2's engine: the real yt-dlp TikTok extractor, run off the event loop in a bounded thread pool.
Each worker thread keeps one YoutubeDL per proxy (they are not safe to share between threads, and
building one per request costs more than the extraction's CPU)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from yt_dlp import YoutubeDL
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError

from tiktok_api.errors import (
    ClassifiedContentError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    LoginWallError,
    MediaError,
    NetworkError,
    RateLimitedError,
    RegionBlockedError,
    UnsupportedError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

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
    """The pool, shared by the platforms: `run` calls a function with the worker thread's YoutubeDL."""

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
            # A post without a video (an Instagram photo) is data to read, not an error.
            "ignore_no_formats_error": True,
        }

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, proxy: str | None, function: Callable[..., T], *args: Any) -> T:
        """function(ydl, *args) in a worker thread; yt-dlp's errors come back as typed MediaErrors."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._call, proxy, function, args)

    def _call(self, proxy: str | None, function: Callable[..., T], args: tuple) -> T:
        try:
            return function(self._youtube_dl(proxy), *args)
        except (ExtractorError, DownloadError) as exc:
            raise classify(exc) from None

    def _youtube_dl(self, proxy: str | None) -> YoutubeDL:
        cache = self._local.__dict__.setdefault("by_proxy", {})
        if proxy not in cache:
            # No proxy given: the machine's own route, honouring HTTPS_PROXY like every other client.
            cache[proxy] = YoutubeDL({**self._params, **({"proxy": proxy} if proxy else {})})
        return cache[proxy]



def tiktok_page(ydl: YoutubeDL, url: str, item_id: str) -> PageData:
    """The TikTok item from its page, through the extractor's own page reading: its statusCode tells
    deleted, private and the like apart, and photo posts (which yt-dlp does not expose) are in the item."""
    extractor = ydl.get_info_extractor("TikTok")
    item, status = extractor._extract_web_data_and_status(url, item_id)
    if status != 0 or not item:
        raise _status_error(status, item)
    info = None if item.get("imagePost") else extractor._parse_aweme_video_web(item, url, item_id)
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
        if cause.status == 404:
            return ItemDeletedError(f"HTTP 404: {message}")
        return (RateLimitedError if cause.status == 429 else NetworkError)(f"HTTP {cause.status}: {message}")
    if isinstance(cause, TransportError):
        return NetworkError(message)
    lowered = message.lower()
    if "comfortable for some audiences" in lowered:
        return ClassifiedContentError(message)
    if "who follow this account" in lowered:
        return ItemPrivateError(message)
    if "redirected to the login page" in lowered:
        return LoginWallError(message)
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
