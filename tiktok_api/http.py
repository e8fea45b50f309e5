"""Outbound HTTP for the pipeline: one shared curl_cffi session (browser TLS fingerprint), a proxy per
request, redirects followed by hand so every hop is checked against an allowlist, and downloads that
stream in bounded chunks with the size cap enforced as bytes arrive."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urljoin

from curl_cffi.requests import AsyncSession, Response
from curl_cffi.requests.exceptions import RequestException

from tiktok_api.errors import InvalidLinkError, MediaError, NetworkError, RateLimitedError, TooLargeError
from tiktok_api.links import host_of
from tiktok_api.models import MediaRequest

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


def curl_proxy(proxy: str | None) -> str | None:
    """socks5:// makes curl resolve names locally; socks5h:// lets the proxy resolve them, as it should."""
    if proxy and proxy.lower().startswith("socks5://"):
        return "socks5h://" + proxy[len("socks5://"):]
    return proxy


def status_error(status: int, url_host: str | None) -> MediaError:
    """The typed error for an HTTP failure status; all of these may pass on another proxy or attempt."""
    if status == 429:
        return RateLimitedError(f"HTTP 429 from {url_host}")
    return NetworkError(f"HTTP {status} from {url_host}")


class HttpClient:
    def __init__(self, *, ca_file: Path | None = None, max_clients: int = 64) -> None:
        # An explicit bundle: curl would otherwise prefer REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE over SSL_CERT_FILE.
        verify: str | bool = str(ca_file) if ca_file else True
        self._session = AsyncSession(impersonate="chrome", verify=verify, max_clients=max_clients)

    async def close(self) -> None:
        await self._session.close()

    @contextlib.asynccontextmanager
    async def open(
        self, url: str, *, proxy: str | None, allowed: Callable[[str | None], bool],
        headers: dict[str, str] | None = None, stream: bool = False,
    ) -> AsyncIterator[Response]:
        """A response whose every redirect hop passed `allowed(host)`; the final one is not a redirect.
        Nothing outside the allowlist is ever requested, and cookies never follow a hop to another host."""
        headers = dict(headers or {})
        for _hop in range(MAX_REDIRECTS + 1):
            _check_host(url, allowed)
            response = await self._request(url, proxy, headers, stream)
            location = _redirect_target(url, response)
            if location is not None:
                await _release(response, stream)
                if host_of(location) != host_of(url):
                    headers.pop("Cookie", None)
                url = location
                continue
            try:
                yield response
            finally:
                await _release(response, stream)
            return
        raise InvalidLinkError("too many redirects")

    async def _request(self, url: str, proxy: str | None, headers: dict[str, str], stream: bool) -> Response:
        try:
            return await self._session.request(
                "GET", url, proxy=curl_proxy(proxy), headers=headers,
                allow_redirects=False, stream=stream, discard_cookies=True,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except RequestException as exc:
            raise NetworkError(f"{type(exc).__name__}: {_first_line(exc)}") from None

    async def resolve_redirects(
        self, url: str, *, proxy: str | None, allowed: Callable[[str | None], bool], is_final: Callable[[str], bool],
    ) -> str:
        """Where a short link leads: follows hops (each one checked) until a target `is_final`,
        without fetching that target itself."""
        for _hop in range(MAX_REDIRECTS + 1):
            _check_host(url, allowed)
            response = await self._request(url, proxy, {}, stream=True)
            try:
                location = _redirect_target(url, response)
                if location is None:
                    if response.status_code == 404:
                        raise InvalidLinkError(f"{host_of(url)} says the link does not exist")
                    if response.status_code >= 400:
                        raise status_error(response.status_code, host_of(url))
                    return url
            finally:
                await _release(response, True)
            if is_final(location):
                _check_host(location, allowed)
                return location
            url = location
        raise InvalidLinkError("too many redirects")

    async def download(
        self, media: MediaRequest, destination: Path, *, proxy: str | None, max_bytes: int | None,
        allowed: Callable[[str | None], bool],
    ) -> int:
        """Stream one resource into `destination` in bounded chunks; the partial file is removed on
        any failure, cancellation included. Returns the size written."""
        written = 0
        try:
            async with self.open(
                media.url, proxy=proxy, allowed=allowed, headers=dict(media.headers), stream=True,
            ) as response:
                if response.status_code != 200:
                    raise status_error(response.status_code, host_of(media.url))
                announced = int(response.headers.get("content-length") or 0)
                if max_bytes is not None and announced > max_bytes:
                    raise TooLargeError(f"{announced} bytes exceed the limit of {max_bytes}")
                with destination.open("wb") as file:
                    async for chunk in response.aiter_content():
                        written += len(chunk)
                        if max_bytes is not None and written > max_bytes:
                            raise TooLargeError(f"more than {max_bytes} bytes")
                        file.write(chunk)  # page-cache writes of curl-sized chunks; no reason to leave the loop
                if announced and written != announced:
                    raise NetworkError(f"connection closed after {written} of {announced} bytes")
        except RequestException as exc:
            destination.unlink(missing_ok=True)
            raise NetworkError(f"{type(exc).__name__}: {_first_line(exc)}") from None
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
        return written


def _check_host(url: str, allowed: Callable[[str | None], bool]) -> None:
    if not allowed(host_of(url)):
        raise InvalidLinkError(f"refusing to fetch {host_of(url) or 'a non-http URL'}: not an allowed host")


def _redirect_target(url: str, response: Response) -> str | None:
    if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
        return urljoin(url, response.headers["location"])
    return None


async def _release(response: Response, stream: bool) -> None:
    if stream:
        with contextlib.suppress(Exception):
            await response.aclose()


def _first_line(exc: BaseException) -> str:
    """The useful part of a curl error, without its pointer to the libcurl docs."""
    text = str(exc).strip().split(" See https://curl.se/")[0]
    return text.splitlines()[0] if text else type(exc).__name__

