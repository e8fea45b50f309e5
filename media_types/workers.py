"""A process pool for CPU-heavy media work (images, video), kept off the event loop.

Decoding a photo or encoding a video holds the GIL for long stretches, so threads would stall every
chat the bot serves; worker processes do not. They start with "spawn" (or "forkserver"): forking a
process that runs threads and an asyncio loop can deadlock the child.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["SAFE_START_METHODS", "WorkerPool"]

SAFE_START_METHODS = ("spawn", "forkserver")
_T = TypeVar("_T")


class WorkerPool:
    """Runs picklable functions in worker processes that start on first use.

    Creating one costs nothing; the processes start with the first `run`. A worker that dies (killed
    for memory, crashed in a codec) breaks the whole executor, so the broken one is replaced.
    `executor_type` is the class that makes the executor: callers look it up in their own module so
    that their tests can watch the pools made.
    """

    def __init__(
        self,
        max_workers: int,
        *,
        start_method: str = "spawn",
        executor_type: type[ProcessPoolExecutor] = ProcessPoolExecutor,
        initializer: Callable[[], object] | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if start_method not in SAFE_START_METHODS:
            raise ValueError(f"start method {start_method!r} is unsafe here: use 'spawn' or 'forkserver'")
        self._max_workers = max_workers
        self._context = multiprocessing.get_context(start_method)
        self._executor_type = executor_type
        self._initializer = initializer  # run once in each worker as it starts
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False
        self._lock = threading.Lock()

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """`function(*args)` in a worker. After a worker died, this call raises BrokenProcessPool
        and the next one gets fresh workers."""
        pool = self._executor()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the workers, dropping queued jobs. Safe to call more than once; later runs raise RuntimeError."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._pool is None:
                self._pool = self._executor_type(max_workers=self._max_workers, mp_context=self._context,
                                                 initializer=self._initializer)
            return self._pool
