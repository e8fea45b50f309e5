"""Intercepting forward proxies on loopback, so tests reach the fake TikTok exactly as production reaches TikTok.

A client talks to these proxies as to any real one (HTTP CONNECT or SOCKS5, then TLS).  The proxy terminates
TLS itself with a certificate for the requested host issued by a test CA, and relays the decrypted HTTP/1.1
requests to one plain-HTTP upstream (the fake origin), which routes them by their Host header.  Loopback
targets are reached for real, as a proxy on this machine would, so SSRF attempts through a proxy hit the
test's canary; every other host is served by the upstream, so nothing can reach the internet.

    with InterceptingProxy(ca, upstream=fake.address) as proxy:
        await session.get("https://www.tiktok.com/@a/video/1", proxy=proxy.url, verify=ca_path)
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import socket
import ssl
import struct
import threading
import urllib.parse
from dataclasses import dataclass

import trustme

from tests.fakes.server import BackgroundServer

MODES = ("healthy", "blocked", "rate_limited", "refuse")
CONNECTED = b"HTTP/1.1 200 Connection established\r\n\r\n"
CONNECTION_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)  # OSError covers SSLError
# SOCKS5 (RFC 1928 / RFC 1929) constants
SOCKS_VERSION, NO_AUTH, USER_PASS_AUTH, NO_ACCEPTABLE_METHOD = 5, 0, 2, 0xFF
CMD_CONNECT, ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 1, 1, 3, 4
REPLY_OK, REPLY_NOT_ALLOWED, REPLY_REFUSED, REPLY_COMMAND_UNSUPPORTED = 0, 2, 5, 7


def dead_proxy_url() -> str:
    """The URL of a loopback port nobody listens on, for "the proxy is down" tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class InterceptingProxy(BackgroundServer):
    """An HTTP forward proxy that intercepts TLS to every non-loopback host and relays it to `upstream`."""

    thread_name = "fake-http-proxy"
    scheme = "http"

    def __init__(self, ca: trustme.CA, upstream: tuple[str, int], *, mode: str = "healthy",
                 username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.ca = ca
        self.upstream = upstream
        self.mode = mode
        self.username, self.password = username, password
        self._requests: list[tuple[str, int] | tuple[str, str]] = []
        self._lock = threading.Lock()
        self._tls_contexts: dict[str, ssl.SSLContext] = {}
        self._server: asyncio.Server | None = None

    @property
    def mode(self) -> str:
        """One of MODES: healthy, blocked (403 after TLS), rate_limited (429) or refuse (the CONNECT fails)."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; expected one of {MODES}")
        self._mode = mode

    @property
    def url(self) -> str:
        """The proxy URL a client is configured with, credentials included."""
        credentials = ""
        if self.username is not None:
            quote = functools.partial(urllib.parse.quote, safe="")
            credentials = f"{quote(self.username)}:{quote(self.password or '')}@"
        host, port = self.address
        return f"{self.scheme}://{credentials}{host}:{port}"

    @property
    def requests(self) -> list[tuple[str, int] | tuple[str, str]]:
        """Every tunnel target as (host, port) and every plain-HTTP request as (method, url), in arrival order."""
        with self._lock:
            return list(self._requests)

    async def _open(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._handle_client, sock=sock)

    async def _close(self) -> None:
        self._server.close()

    def _record(self, entry: tuple[str, int] | tuple[str, str]) -> None:
        with self._lock:
            self._requests.append(entry)

    async def _handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_client(reader, writer)
        except CONNECTION_ERRORS:
            pass  # the client or upstream went away; nothing to report
        finally:
            writer.close()

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = await _read_head(reader)
        if raw is None:
            return
        head = _Head.parse(raw)
        tunnel_to = _split_host_port(head.target) if head.method == "CONNECT" else None
        self._record(tunnel_to or (head.method, head.target))
        if not self._authorized(head.header("proxy-authorization")):
            writer.write(_response(407, "Proxy Authentication Required",
                                   ("Proxy-Authenticate", 'Basic realm="fake-proxy"')))
        elif tunnel_to is not None:
            await self._connect(reader, writer, *tunnel_to)
        else:
            await self._forward_plain(reader, writer, head)
        await writer.drain()

    def _authorized(self, authorization: str) -> bool:
        if self.username is None:
            return True
        expected = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
        scheme, _, credentials = authorization.partition(" ")
        return scheme.lower() == "basic" and credentials.strip() == expected

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int) -> None:
        if self.mode == "refuse":
            writer.write(_response(502, "Bad Gateway"))
            return
        try:
            target = await self._dial(host, port)
        except OSError:
            writer.write(_response(502, "Bad Gateway"))
            return
        writer.write(CONNECTED)
        await writer.drain()
        await self._tunnel(reader, writer, target, host, port)

    async def _dial(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A real connection for loopback targets; None for hosts the proxy intercepts."""
        if _is_loopback(host):
            return await asyncio.open_connection(host, port)
        return None

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      target: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None, host: str, port: int) -> None:
        """Carry an established tunnel: raw bytes to a loopback target, else TLS interception (except port 80)."""
        if target is not None:
            await _pipe_both_ways((reader, writer), target)
            return
        if port != 80:
            await writer.start_tls(self._tls_context(host))
        await self._serve_requests(reader, writer)

    def _tls_context(self, host: str) -> ssl.SSLContext:
        """A server context with a CA-issued certificate for `host`, offering only HTTP/1.1 over ALPN."""
        with self._lock:
            if host not in self._tls_contexts:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self.ca.issue_cert(host).configure_cert(context)
                context.set_alpn_protocols(["http/1.1"])
                self._tls_contexts[host] = context
            return self._tls_contexts[host]

    async def _serve_requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Relay each request on a tunnel to the upstream, unless the current mode answers it instead."""
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while (raw := await _read_head(reader)) is not None:
                if (refusal := self._refusal()) is not None:
                    writer.write(refusal)
                    return
                head = _Head.parse(raw)
                if upstream is None:
                    upstream = await asyncio.open_connection(*self.upstream)
                upstream[1].write(raw)
                await _copy_body(reader, upstream[1], head)
                if not await _relay_response(upstream[0], writer, head.method):
                    return
        finally:
            if upstream is not None:
                upstream[1].close()

    def _refusal(self) -> bytes | None:
        """What a blocked or rate-limited exit node gets back from TikTok instead of the page."""
        if self.mode == "blocked":
            return _response(403, "Forbidden", body=b"<html><body><h1>Access Denied</h1></body></html>")
        if self.mode == "rate_limited":
            return _response(429, "Too Many Requests", ("Retry-After", "1"))
        return None

    async def _forward_plain(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: _Head) -> None:
        """Serve one absolute-URI request (`GET http://host/path`), then close the client connection."""
        url = urllib.parse.urlsplit(head.target)
        if self.mode == "refuse" or not url.hostname:
            writer.write(_response(502, "Bad Gateway"))
            return
        if (refusal := self._refusal()) is not None:
            writer.write(refusal)
            return
        target = await self._dial(url.hostname, url.port or 80) or await asyncio.open_connection(*self.upstream)
        try:
            target[1].write(_origin_form(head, url))
            await _copy_body(reader, target[1], head)
            await _relay_response(target[0], writer, head.method)
        finally:
            target[1].close()


class Socks5Proxy(InterceptingProxy):
    """The same interception behind a SOCKS5 front end (CONNECT only; no auth or username/password auth).

    `url` uses the socks5:// scheme people write in proxy lists; clients such as curl then resolve names
    locally, so use socks5h:// to have the proxy resolve them.
    """

    thread_name = "fake-socks5-proxy"
    scheme = "socks5"

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await self._negotiate(reader, writer):
            return
        command, host, port = await _read_socks_request(reader)
        self._record((host, port))
        if command != CMD_CONNECT:
            writer.write(_socks_reply(REPLY_COMMAND_UNSUPPORTED))
            return
        if self.mode == "refuse":
            writer.write(_socks_reply(REPLY_NOT_ALLOWED))
            return
        try:
            target = await self._dial(host, port)
        except OSError:
            writer.write(_socks_reply(REPLY_REFUSED))
            return
        writer.write(_socks_reply(REPLY_OK))
        await writer.drain()
        await self._tunnel(reader, writer, target, host, port)
        await writer.drain()

    async def _negotiate(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Method selection plus RFC 1929 username/password check; False once the client has been turned away."""
        version, count = await reader.readexactly(2)
        offered = await reader.readexactly(count)
        wanted = NO_AUTH if self.username is None else USER_PASS_AUTH
        if version != SOCKS_VERSION or wanted not in offered:
            writer.write(bytes((SOCKS_VERSION, NO_ACCEPTABLE_METHOD)))
            return False
        writer.write(bytes((SOCKS_VERSION, wanted)))
        if wanted == NO_AUTH:
            return True
        _, username_length = await reader.readexactly(2)
        username = (await reader.readexactly(username_length)).decode()
        password = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        accepted = (username, password) == (self.username, self.password or "")
        writer.write(bytes((1, 0 if accepted else 1)))
        return accepted


@dataclass
class _Head:
    """The head of an HTTP/1.1 message: its start line and its header fields in order."""

    start_line: str
    fields: list[tuple[str, str]]

    @classmethod
    def parse(cls, raw: bytes) -> _Head:
        lines = raw.decode("latin-1").split("\r\n")
        fields = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        return cls(lines[0], fields)

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0].upper()

    @property
    def target(self) -> str:
        return self.start_line.split(" ")[1]

    @property
    def status(self) -> int:
        return int(self.start_line.split(" ")[1])

    def header(self, name: str) -> str:
        """The last value of a header field, or ""."""
        return next((value for key, value in reversed(self.fields) if key.lower() == name), "")


def _origin_form(head: _Head, url: urllib.parse.SplitResult) -> bytes:
    """The request as an origin server expects it: relative target, no proxy headers, one request per connection."""
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    hop_by_hop = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
    fields = [(key, value) for key, value in head.fields if key.lower() not in hop_by_hop]
    if not any(key.lower() == "host" for key, _ in fields):
        fields.insert(0, ("Host", url.netloc.rpartition("@")[2]))
    lines = [f"{head.method} {path} HTTP/1.1", *(f"{key}: {value}" for key, value in fields), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response(status: int, reason: str, *headers: tuple[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{key}: {value}" for key, value in headers),
             f"Content-Length: {len(body)}", "Connection: close"]
    if body:
        lines.append("Content-Type: text/html; charset=utf-8")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """A message head up to and including the blank line, or None if the peer closed first."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None


async def _relay_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str) -> bool:
    """Copy one response; True if the connection may carry another request."""
    raw = await _read_head(reader)
    if raw is None:
        return False
    writer.write(raw)
    head = _Head.parse(raw)
    has_body = method != "HEAD" and head.status >= 200 and head.status not in (204, 304)
    if has_body and not await _copy_body(reader, writer, head):
        await _copy_until_eof(reader, writer)
        return False
    await writer.drain()
    return "close" not in head.header("connection").lower()


async def _copy_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: _Head) -> bool:
    """Copy a body delimited by chunked encoding or Content-Length; False if neither delimits it."""
    if "chunked" in head.header("transfer-encoding").lower():
        await _copy_chunked(reader, writer)
        return True
    if length := head.header("content-length"):
        await _copy_exactly(reader, writer, int(length))
        return True
    return False


async def _copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        writer.write(size_line)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        await _copy_exactly(reader, writer, size + 2)  # the chunk and its CRLF
    while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
        writer.write(trailer)
    writer.write(b"\r\n")


async def _copy_exactly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, length: int) -> None:
    while length > 0:
        chunk = await reader.read(min(length, 1 << 16))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", length)
        writer.write(chunk)
        await writer.drain()
        length -= len(chunk)


async def _copy_until_eof(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(1 << 16):
        writer.write(chunk)
        await writer.drain()


async def _pipe_both_ways(a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                          b: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
    """Shuttle raw bytes between two connections until either side closes."""
    copies = [asyncio.ensure_future(_copy_until_eof(a[0], b[1])), asyncio.ensure_future(_copy_until_eof(b[0], a[1]))]
    try:
        await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for copy in copies:
            copy.cancel()
        b[1].close()


async def _read_socks_request(reader: asyncio.StreamReader) -> tuple[int, str, int]:
    """(command, host, port) of a SOCKS5 request."""
    _, command, _, address_type = await reader.readexactly(4)
    if address_type == ATYP_IPV4:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif address_type == ATYP_IPV6:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    elif address_type == ATYP_DOMAIN:
        host = (await reader.readexactly((await reader.readexactly(1))[0])).decode("idna")
    else:
        raise ConnectionError(f"unknown SOCKS5 address type {address_type}")
    (port,) = struct.unpack(">H", await reader.readexactly(2))
    return command, host, port


def _socks_reply(code: int) -> bytes:
    return bytes((SOCKS_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0))


def _split_host_port(authority: str) -> tuple[str, int]:
    """("host", port) of a CONNECT target such as "www.tiktok.com:443" or "[::1]:8080"."""
    url = urllib.parse.urlsplit(f"//{authority}")
    return url.hostname or "", url.port or 443


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
