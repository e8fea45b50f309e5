"""The base of every fake server: a loopback TCP server on its own event loop in a daemon thread, so the
same fake serves sync tests, async tests (whose loop runs the bot) and a `python main.py` subprocess."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
from typing import Self


class BackgroundServer:
    """A loopback TCP server on its own loop in a daemon thread; usable from sync or async tests and subprocesses."""

    thread_name = "fake-server"

    def __init__(self) -> None:
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) to connect to; only valid once started."""
        if self.port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return "127.0.0.1", self.port

    def start(self) -> Self:
        """Bind a free loopback port and serve from a background thread; returns once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        sock = socket.create_server(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(sock, ready), name=self.thread_name, daemon=True)
        self._thread.start()
        try:
            ready.result(timeout=10)
        except BaseException:
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop accepting, abort open connections and join the thread; safe to call twice."""
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, sock: socket.socket, ready: concurrent.futures.Future[None]) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._open(sock))
        except BaseException as error:  # report start-up failures to start()
            ready.set_exception(error)
            self._loop.close()
            return
        ready.set_result(None)
        self._loop.run_forever()
        self._loop.run_until_complete(_cancel_remaining_tasks())
        self._loop.close()

    async def _open(self, sock: socket.socket) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError


async def _cancel_remaining_tasks() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
