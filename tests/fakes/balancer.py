"""A round-robin HTTP load balancer in front of several webhook replicas, as operators put one: each
POST goes to the next replica; a replica that does not answer is skipped (its share goes to the next)."""

from __future__ import annotations

import itertools
import socket

import aiohttp
from aiohttp import web

from tests.fakes.server import BackgroundServer

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinBalancer(BackgroundServer):
    thread_name = "fake-balancer"

    def __init__(self, backends: list[str]) -> None:
        super().__init__()
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))
        self.forwarded: list[str] = []  # the backend of every answered POST, in order
        self.pending: dict[str, int] = dict.fromkeys(backends, 0)  # POSTs each backend has not answered yet
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    async def _open(self, sock: socket.socket) -> None:
        self._http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _close(self) -> None:
        await self._runner.cleanup()
        await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        for _ in self.backends:
            backend = self.backends[next(self._next)]
            self.pending[backend] += 1
            try:
                async with self._http.post(backend + request.path, data=body, headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=10)) as answer:
                    self.forwarded.append(backend)
                    return web.Response(status=answer.status, body=await answer.read())
            except (aiohttp.ClientError, TimeoutError):
                continue
            finally:
                self.pending[backend] -= 1
        return web.Response(status=502)
