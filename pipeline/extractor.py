"""Stage 2's engine: the real yt-dlp extractors, run off the event loop in a bounded thread pool.
Each worker thread keeps one YoutubeDL per proxy (they are not safe to share between threads, and
building one per request costs more than the extraction's CPU)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from yt_dlp import YoutubeDL
from yt_dlp.networking.exceptions import HTTPError, ProxyError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError

from pipeline.errors import (
    ClassifiedContentError,
    ItemDeletedError,
    ItemPrivateError,
    LoginRequiredError,
    LoginWallError,
    MediaError,
    NetworkError,
    ProxyUnreachableError,
    RateLimitedError,
    UnsupportedError,
)
from pipeline.http import curl_proxy_failure

log = logging.getLogger(__name__)
T = TypeVar("T")

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

    def _call(self, proxy: str | None, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            return function(self._youtube_dl(proxy), *args)
        except (ExtractorError, DownloadError) as exc:
            raise classify(exc, proxied=proxy is not None) from None

    def _youtube_dl(self, proxy: str | None) -> YoutubeDL:
        cache = self._local.__dict__.setdefault("by_proxy", {})
        if proxy not in cache:
            # No proxy given: the machine's own route, honouring HTTPS_PROXY like every other client.
            cache[proxy] = YoutubeDL({**self._params, **({"proxy": proxy} if proxy else {})})
        return cache[proxy]


def classify(exc: BaseException, *, proxied: bool = False) -> MediaError:  # noqa: PLR0911 - one per kind
    """yt-dlp's exception -> our typed error: login walls are permanent, HTTP and transport failures
    are transient, and a proxy that could not be reached is said so."""
    cause = getattr(exc, "cause", None) or (getattr(exc, "exc_info", None) or (None, None))[1]
    message = str(getattr(exc, "orig_msg", exc)).split(" See https://curl.se/")[0]
    if isinstance(cause, HTTPError):
        if cause.status == 404:
            return ItemDeletedError(f"HTTP 404: {message}")
        kind = RateLimitedError if cause.status in (403, 429) else NetworkError
        return kind(f"HTTP {cause.status}: {message}")
    if proxied and (isinstance(cause, ProxyError) or curl_proxy_failure(message)):
        return ProxyUnreachableError(message)
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


def int_or_none(value: object) -> int | None:
    """A number from yt-dlp's or a page's loosely typed data, or None."""
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
