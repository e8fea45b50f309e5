"""Page requests of the pipeline (short links): one shared curl_cffi session with a browser's TLS
fingerprint, a proxy per request, and redirects followed by hand so every hop is checked against an
allowlist. Media comes from the CDN through pipeline.cdn."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

from curl_cffi.requests import AsyncSession, Response
from curl_cffi.requests.exceptions import RequestException

from pipeline.errors import (
    InvalidLinkError,
    MediaError,
    NetworkError,
    ProxyUnreachableError,
    RateLimitedError,
)
from pipeline.urls import host_of, require_allowed

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
    """The typed error for an HTTP failure status; all of these may pass on another proxy or attempt. 403
    and 429 mean the platform refuses this proxy for now."""
    if status in (403, 429):
        return RateLimitedError(f"HTTP {status} from {url_host}")
    return NetworkError(f"HTTP {status} from {url_host}")


# curl's own words for "the proxy could not be reached": couldn't resolve proxy (5), couldn't connect (7,
# through a proxy every connection goes to the proxy), proxy handshake (97), and a refused CONNECT (407, 5xx).
_CURL_PROXY_FAILURES = ("curl: (5)", "curl: (7)", "curl: (97)", "CONNECT tunnel failed", " over proxy ")


def curl_proxy_failure(message: str) -> bool:
    """Whether a curl error (ours, or yt-dlp's through curl_cffi) says the proxy itself failed."""
    return any(sign in message for sign in _CURL_PROXY_FAILURES)


class HttpClient:
    def __init__(self, *, ca_file: Path | None = None, max_clients: int = 64) -> None:
        # An explicit bundle: curl would otherwise prefer REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE over SSL_CERT_FILE.
        verify: str | bool = str(ca_file) if ca_file else True
        self._session: AsyncSession[Response] = AsyncSession(
            impersonate="chrome", verify=verify, max_clients=max_clients)  # type: ignore[arg-type]  # str: a bundle

    async def close(self) -> None:
        await self._session.close()

    async def _request(self, url: str, proxy: str | None, headers: dict[str, str], stream: bool) -> Response:
        try:
            response: Response = await self._session.request(
                "GET", url, proxy=curl_proxy(proxy), headers=headers,
                allow_redirects=False, stream=stream, discard_cookies=True,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            )
        except RequestException as exc:
            message = f"{type(exc).__name__}: {_first_line(exc)}"
            raise (ProxyUnreachableError if proxy and curl_proxy_failure(str(exc)) else NetworkError)(message) from None
        return response

    async def resolve_redirects(
        self, url: str, *, proxy: str | None, allowed: Callable[[str | None], bool], is_final: Callable[[str], bool],
    ) -> str:
        """Where a short link leads: follows hops (each one checked) until a target `is_final`,
        without fetching that target itself."""
        for _hop in range(MAX_REDIRECTS + 1):
            require_allowed(url, allowed)
            response = await self._request(url, proxy, {}, stream=True)
            try:
                location = redirect_target(url, response.status_code, response.headers.get("location"))
                if location is None:
                    if response.status_code == 404:
                        raise InvalidLinkError(f"{host_of(url)} says the link does not exist")
                    if response.status_code >= 400:
                        raise status_error(response.status_code, host_of(url))
                    return url
            finally:
                await _release(response, True)
            if is_final(location):
                require_allowed(location, allowed)
                return location
            url = location
        raise InvalidLinkError("too many redirects")


def redirect_target(url: str, status: int, location: str | None) -> str | None:
    """Where a redirect answer points, resolved against the URL that gave it; None for any other answer."""
    if status in (301, 302, 303, 307, 308) and location:
        return urljoin(url, location)
    return None


async def _release(response: Response, stream: bool) -> None:
    if stream:
        with contextlib.suppress(Exception):
            await response.aclose()  # type: ignore[no-untyped-call]  # curl_cffi leaves it unannotated


def _first_line(exc: BaseException) -> str:
    """The useful part of a curl error, without its pointer to the libcurl docs."""
    text = str(exc).strip().split(" See https://curl.se/")[0]
    return text.splitlines()[0] if text else type(exc).__name__

