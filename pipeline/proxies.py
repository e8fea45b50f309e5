"""Proxy rotation. ProxyManager owns the round robin over PROXY_FILE; a ProxySession belongs to one
request and is sticky: every stage uses the same proxy until a retry rotates it."""

from __future__ import annotations

import itertools
import threading
from urllib.parse import urlsplit

DIRECT = None  # the machine's own connection, in the rotation when PROXY_INCLUDE_HOST is set


def display_proxy(proxy: str | None) -> str:
    """A proxy as logs may show it: scheme, host and port, never the credentials."""
    if proxy is DIRECT:
        return "direct"
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


class ProxyManager:
    """Hands out starting points in the rotation so consecutive requests spread over the proxies."""

    def __init__(self, proxies: tuple[str, ...] = (), *, include_host: bool = False, data_only: bool = False) -> None:
        self._pool: tuple[str | None, ...] = (*proxies, DIRECT) if include_host or not proxies else tuple(proxies)
        self.data_only = data_only
        self._next = itertools.count()
        self._lock = threading.Lock()

    @property
    def pool(self) -> tuple[str | None, ...]:
        return self._pool

    def session(self) -> ProxySession:
        with self._lock:
            start = next(self._next) % len(self._pool)
        return ProxySession(self, start)


class ProxySession:
    """One request's view of the rotation: `proxy` stays the same until `rotate()` (called on a retry)."""

    def __init__(self, manager: ProxyManager, start: int) -> None:
        self._manager = manager
        self._index = start

    @property
    def proxy(self) -> str | None:
        """For page and API requests."""
        pool = self._manager.pool
        return pool[self._index % len(pool)]

    @property
    def media_proxy(self) -> str | None:
        """For CDN downloads: direct when PROXY_DATA_ONLY keeps proxies for pages only."""
        return DIRECT if self._manager.data_only else self.proxy

    def rotate(self) -> str | None:
        self._index += 1
        return self.proxy

    def __repr__(self) -> str:
        return f"ProxySession({display_proxy(self.proxy)})"
