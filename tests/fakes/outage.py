"""A network path that can go down: a TCP forwarder in front of a fake server. `go_down()` cuts every open
connection and closes the port, so new connections are refused, as when a server is unreachable; `come_back()`
listens on the same port again."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from tests.fakes.server import BackgroundServer


class Outage(BackgroundServer):
    thread_name = "fake-outage"

    def __init__(self, target: tuple[str, int]) -> None:
        super().__init__()
        self._target = target
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def go_down(self) -> None:
        asyncio.run_coroutine_threadsafe(self._go_down(), self._loop).result(timeout=10)

    def come_back(self) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(_bound(self.port)), self._loop).result(timeout=10)

    async def _open(self, sock: socket.socket) -> None:
        await self._listen(sock)

    async def _close(self) -> None:
        await self._go_down()

    async def _listen(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._forward, sock=sock)

    async def _go_down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)  # at once: a cut while the way upstream opens must close this one too
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            self._writers.discard(writer)
            writer.transport.abort()
            return
        if writer.transport.is_closing():  # the cut came meanwhile
            self._writers.discard(writer)
            upstream_writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._writers -= {writer, upstream_writer}
            for each in (writer, upstream_writer):
                each.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()


def _bound(port: int | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock
