"""An offline TikTok and Instagram for end-to-end tests: fake origin, intercepting proxies, a test CA, an SSRF canary.

    with TikTokWorld(proxies={"good": "healthy", "banned": "blocked"}) as world:
        post = world.tiktok.add_video("7312345678901234567")
        reel = world.instagram.add_reel("DAbCdEfGhIj")
        subprocess.run([python, "main.py"], env={**os.environ, **world.env()})
        assert not world.canary.hits

Only loopback is ever contacted: the proxies serve every non-loopback host from the fake origin, and the CA
bundle written for SSL_CERT_FILE holds nothing but the test CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import trustme

from tests.fakes.instagram import FakeInstagram
from tests.fakes.proxy import InterceptingProxy, Socks5Proxy, dead_proxy_url
from tests.fakes.server import BackgroundServer
from tests.fakes.tiktok import FakeTikTok


@dataclass(frozen=True)
class ProxyConfig:
    """How one proxy of the world behaves: a proxy mode, or "dead" for a port nobody listens on."""

    mode: str = "healthy"
    username: str | None = None
    password: str | None = None
    socks: bool = False


class Canary(BackgroundServer):
    """A loopback server nothing should reach (SSRF targets): records the first bytes of every connection."""

    thread_name = "ssrf-canary"

    def __init__(self) -> None:
        super().__init__()
        self._hits: list[bytes] = []
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, to use as a redirect target."""
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[bytes]:
        """What each connection sent first: an HTTP request head, or a TLS ClientHello."""
        with self._lock:
            return list(self._hits)

    async def _open(self, sock) -> None:
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def _close(self) -> None:
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await asyncio.wait_for(reader.read(1 << 16), timeout=2)
        except (TimeoutError, ConnectionError):
            first = b""
        with self._lock:
            self._hits.append(first)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\ncanary")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


class TikTokWorld:
    """Everything the product needs to meet "TikTok" and "Instagram" offline, started and stopped together."""

    def __init__(self, proxies: Mapping[str, ProxyConfig | str] | None = None, *,
                 directory: Path | str | None = None) -> None:
        configs = proxies if proxies is not None else {"main": "healthy"}
        self._configs = {name: ProxyConfig(c) if isinstance(c, str) else c for name, c in configs.items()}
        self._directory = Path(directory) if directory is not None else None
        self._stack = contextlib.ExitStack()
        self.ca = trustme.CA()
        self.tiktok = FakeTikTok()
        self.instagram = FakeInstagram()  # served by the same origin, for Instagram hosts
        self.tiktok.mount(self.instagram)
        self.canary = Canary()
        self.proxies: dict[str, InterceptingProxy] = {}  # the live proxies, by name
        self.proxy_urls: dict[str, str] = {}  # every proxy's URL (dead ones too), in PROXY_FILE order
        self.ca_path: Path | None = None
        self.proxy_file: Path | None = None

    @property
    def proxy(self) -> InterceptingProxy:
        """The first live proxy, for worlds that have just one."""
        return next(iter(self.proxies.values()))

    def env(self) -> dict[str, str]:
        """The environment variables that point the product at this world."""
        return {"PROXY_FILE": str(self.proxy_file), "SSL_CERT_FILE": str(self.ca_path)}

    def start(self) -> TikTokWorld:
        """Start the origin, the canary and the proxies; write the CA bundle and the proxy file."""
        try:
            directory = self._directory or Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
            self.ca_path = directory / "test-ca.pem"
            self.ca.cert_pem.write_to_path(str(self.ca_path))
            self._stack.enter_context(self.tiktok)
            self._stack.enter_context(self.canary)
            for name, config in self._configs.items():
                self.proxy_urls[name] = self._start_proxy(name, config)
            self.proxy_file = directory / "proxies.txt"
            self.proxy_file.write_text("".join(f"{url}\n" for url in self.proxy_urls.values()))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server and remove the temporary files."""
        self._stack.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start_proxy(self, name: str, config: ProxyConfig) -> str:
        if config.mode == "dead":
            return dead_proxy_url()
        proxy_class = Socks5Proxy if config.socks else InterceptingProxy
        proxy = proxy_class(self.ca, self.tiktok.address, mode=config.mode,
                            username=config.username, password=config.password)
        self.proxies[name] = self._stack.enter_context(proxy)
        return proxy.url
