"""The retry policy shared by the three stages: each has its own attempt budget, retries only what may
pass on another attempt, and moves the request to the next proxy before retrying. An attempt that failed
because the proxy itself could not be reached moves on at once and costs nothing (at most once per proxy):
the platform was never asked. Every attempt tells the proxy rotation what it showed about its proxy."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from data.metrics import PROXY_FAILURES, RETRIES, STAGE_SECONDS
from pipeline.errors import MediaError, ProxyUnreachableError, RateLimitedError
from pipeline.proxies import Outcome, ProxySession, display_proxy
from pipeline.watch import StageWatch

log = logging.getLogger(__name__)
T = TypeVar("T")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, MediaError) and exc.retryable


def _outcome(exc: MediaError) -> Outcome:
    if isinstance(exc, ProxyUnreachableError):
        return Outcome.UNREACHABLE
    return Outcome.REFUSED if isinstance(exc, RateLimitedError) else Outcome.REACHED


class _Budget:
    """The stage's attempts: those that count, and the free moves past unreachable proxies."""

    def __init__(self, budget: int, free: int) -> None:
        self.budget = budget
        self.used = 0
        self.free_left = free
        self.last_was_free = False

    def charge(self, exc: MediaError) -> None:
        self.last_was_free = isinstance(exc, ProxyUnreachableError) and self.free_left > 0
        if self.last_was_free:
            self.free_left -= 1
        else:
            self.used += 1

    @property
    def spent(self) -> bool:
        return self.used >= self.budget


_backoff = wait_exponential(multiplier=0.1, max=2)


async def run_stage(
    stage: str, budget: int, session: ProxySession, attempt: Callable[[], Awaitable[T]], *, subject: str = "",
    media: bool = False, watch: StageWatch | None = None,
) -> T:
    """Run `attempt` until it succeeds or `budget` attempts failed. A permanent MediaError (or any other
    exception) ends the stage at once; a transient one rotates the proxy, waits briefly (not after a free
    move) and tries again. A MediaError that leaves the stage carries the stage, the proxy and the attempt
    count (admins see them). `media`: the attempts go to the CDN (session.media_proxy). `watch` hears how
    the stage ended (transient failures only: a deleted post says nothing about the platform)."""
    spent = _Budget(budget, free=session.choices - 1)

    def rotate(state: RetryCallState) -> None:
        previous, error = display_proxy(session.proxy), state.outcome.exception() if state.outcome else "-"
        if spent.last_was_free:
            log.info("%s %s: proxy %s cannot be reached (%s); moving on to %s, no attempt used", stage, subject,
                     previous, error, display_proxy(session.rotate()))
            return
        RETRIES.labels(stage).inc()
        log.info("%s %s: attempt %d/%d via %s failed (%s); retrying via %s", stage, subject,
                 spent.used, budget, previous, error, display_proxy(session.rotate()))

    def wait(state: RetryCallState) -> float:
        return 0.0 if spent.last_was_free else _backoff(state)

    retrying = AsyncRetrying(stop=lambda _state: spent.spent, retry=retry_if_exception(_retryable), wait=wait,
                             before_sleep=rotate, reraise=True)
    async for trial in retrying:
        with trial:
            await session.prepare()
            proxy, started = display_proxy(session.media_proxy if media else session.proxy), time.monotonic()
            try:
                result = await attempt()
            except MediaError as exc:
                STAGE_SECONDS.labels(stage, exc.reason).observe(time.monotonic() - started)
                session.report(_outcome(exc), media=media)
                if exc.retryable:
                    PROXY_FAILURES.labels(proxy).inc()
                    spent.charge(exc)
                exc.stage, exc.proxy, exc.attempts = stage, proxy, trial.retry_state.attempt_number
                if not exc.retryable or spent.spent:
                    log.info("%s %s: attempt %d/%d via %s failed for good: %s (%s)", stage, subject, spent.used,
                             budget, proxy, exc.reason, exc)
                    if watch is not None and exc.retryable:
                        watch.record(stage, exc)
                raise
            session.report(Outcome.REACHED, media=media)
            if watch is not None:
                watch.record(stage, None)
            STAGE_SECONDS.labels(stage, "ok").observe(time.monotonic() - started)
            log.debug("%s %s: attempt %d/%d via %s ok in %.2f s", stage, subject, spent.used + 1, budget, proxy,
                      time.monotonic() - started)
    return result
