"""Media from the CDN with aiohttp, which reads from the socket only as fast as the consumer takes the
chunks (flow control), so a stream piped into a slower upload holds a few chunks, never the whole file.
Every redirect hop is checked against the media allowlist; cookies never follow a hop to another host."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp_socks import ProxyConnectionError, ProxyConnector, ProxyError, ProxyTimeoutError

from pipeline.errors import InvalidLinkError, NetworkError, ProxyUnreachableError, TooLargeError
from pipeline.http import redirect_target, status_error
from pipeline.models import MediaRequest
from pipeline.urls import host_of, require_allowed, scheme_of

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=10, sock_read=30)


class MediaStream:
    """An open CDN response: its announced size and its body as chunks, with the size cap enforced as
    bytes arrive and a short body reported as a network error."""

    def __init__(self, response: aiohttp.ClientResponse, max_bytes: int | None) -> None:
        self._response = response
        self._max_bytes = max_bytes
        self.size = response.content_length

    async def chunks(self) -> AsyncIterator[bytes]:
        received = 0
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                received += len(chunk)
                if self._max_bytes is not None and received > self._max_bytes:
                    raise TooLargeError(f"more than {self._max_bytes} bytes")
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise NetworkError(f"CDN stream broke after {received} bytes: {type(exc).__name__}") from None
        if self.size is not None and received != self.size:
            raise NetworkError(f"CDN closed after {received} of {self.size} bytes")


class CdnClient:
    def __init__(self, *, ca_file: Path | None = None) -> None:
        self._ssl = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._sessions: dict[str | None, aiohttp.ClientSession] = {}

    def _session(self, proxy: str | None) -> tuple[aiohttp.ClientSession, str | None]:
        """One long-lived session for direct and HTTP(S)-proxied requests, one per SOCKS proxy (aiohttp
        takes SOCKS only as a connector). Returns the session and the per-request proxy argument."""
        socks = proxy is not None and proxy.lower().startswith("socks")
        key = proxy if socks else None
        if key not in self._sessions:
            connector = (ProxyConnector.from_url(proxy, rdns=True, ssl=self._ssl) if proxy is not None and socks
                         else aiohttp.TCPConnector(ssl=self._ssl, limit=0))
            self._sessions[key] = aiohttp.ClientSession(connector=connector, timeout=TIMEOUT, trust_env=True,
                                                        auto_decompress=False)
        return self._sessions[key], None if socks else proxy

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()

    @contextlib.asynccontextmanager
    async def open(self, media: MediaRequest, *, proxy: str | None, max_bytes: int | None,
                   allowed: Callable[[str | None], bool]) -> AsyncIterator[MediaStream]:
        """The media's response, after the size it announces passed the cap."""
        session, proxy_argument = self._session(proxy)
        url, headers = media.url, dict(media.headers)
        for _hop in range(MAX_REDIRECTS + 1):
            require_allowed(url, allowed)
            try:
                response = await session.get(url, headers=headers, proxy=proxy_argument, allow_redirects=False)
            except (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError, ProxyError, ProxyTimeoutError,
                    ProxyConnectionError) as exc:
                raise ProxyUnreachableError(f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise NetworkError(f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
            target = redirect_target(url, response.status, response.headers.get("Location"))
            if target is not None:
                response.release()
                if host_of(target) != host_of(url) or scheme_of(target) != scheme_of(url):
                    headers.pop("Cookie", None)  # cookies never follow a hop to another host or scheme
                url = target
                continue
            try:
                if response.status != 200:
                    raise status_error(response.status, host_of(url))
                if max_bytes is not None and (response.content_length or 0) > max_bytes:
                    raise TooLargeError(f"{response.content_length} bytes exceed the limit of {max_bytes}")
                yield MediaStream(response, max_bytes)
            finally:
                response.release()
            return
        raise InvalidLinkError("too many redirects")

    async def download(self, media: MediaRequest, destination: Path, *, proxy: str | None, max_bytes: int | None,
                       allowed: Callable[[str | None], bool]) -> int:
        """The media into `destination`; the partial file is removed on any failure, cancellation included."""
        written = 0
        try:
            async with self.open(media, proxy=proxy, max_bytes=max_bytes, allowed=allowed) as stream:
                with destination.open("wb") as file:
                    async for chunk in stream.chunks():
                        file.write(chunk)  # page-cache writes of 64 KiB; not worth a thread hop
                        written += len(chunk)
        except BaseException:
            destination.unlink(missing_ok=True)  # noqa: ASYNC240 - a local unlink; no thread hop
            raise
        return written
