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
from pipeline.errors import ConsumerBusyError, MediaError, ProxyUnreachableError, RateLimitedError
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


class _Stage:
    """One run of a stage: the attempts that count against its budget, the free moves (past unreachable
    proxies, and a consumer that asked to wait), and what each attempt tells the rotation and the watch."""

    def __init__(self, name: str, budget: int, session: ProxySession, subject: str, media: bool,
                 watch: StageWatch | None) -> None:
        self.name, self.budget, self.session, self.subject = name, budget, session, subject
        self.media, self.watch = media, watch
        self.used = 0
        self.free_moves = session.choices - 1  # at most once per other proxy
        self.last_was_free = False

    @property
    def spent(self) -> bool:
        return self.used >= self.budget

    def failed(self, exc: MediaError, proxy: str, number: int) -> None:
        self.session.report(_outcome(exc), media=self.media)
        exc.stage, exc.proxy, exc.attempts = self.name, proxy, number
        if exc.retryable:
            PROXY_FAILURES.labels(proxy).inc()
            self.last_was_free = isinstance(exc, ConsumerBusyError) or (
                isinstance(exc, ProxyUnreachableError) and self.free_moves > 0)
            if isinstance(exc, ProxyUnreachableError) and self.last_was_free:
                self.free_moves -= 1
            elif not self.last_was_free:
                self.used += 1
        if not exc.retryable or self.spent:
            log.info("%s %s: attempt %d/%d via %s failed for good: %s (%s)", self.name, self.subject, self.used,
                     self.budget, proxy, exc.reason, exc)
            if self.watch is not None and exc.retryable:
                self.watch.record(self.name, exc)

    def succeeded(self, proxy: str, started: float) -> None:
        self.session.report(Outcome.REACHED, media=self.media)
        if self.watch is not None:
            self.watch.record(self.name, None)
        log.debug("%s %s: attempt %d/%d via %s ok in %.2f s", self.name, self.subject, self.used + 1,
                  self.budget, proxy, time.monotonic() - started)

    def before_retry(self, state: RetryCallState) -> None:
        previous, error = display_proxy(self.session.proxy), state.outcome.exception() if state.outcome else "-"
        if isinstance(error, ConsumerBusyError):
            log.info("%s %s: %s; the stream goes again, no attempt used", self.name, self.subject, error)
        elif self.last_was_free:
            log.info("%s %s: proxy %s cannot be reached (%s); moving on to %s, no attempt used", self.name,
                     self.subject, previous, error, display_proxy(self.session.rotate()))
        else:
            RETRIES.labels(self.name).inc()
            log.info("%s %s: attempt %d/%d via %s failed (%s); retrying via %s", self.name, self.subject,
                     self.used, self.budget, previous, error, display_proxy(self.session.rotate()))

    def wait(self, state: RetryCallState) -> float:
        return 0.0 if self.last_was_free else _backoff(state)


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
    run = _Stage(stage, budget, session, subject, media, watch)
    retrying = AsyncRetrying(stop=lambda _state: run.spent, retry=retry_if_exception(_retryable), wait=run.wait,
                             before_sleep=run.before_retry, reraise=True)
    async for trial in retrying:
        with trial:
            await session.prepare(media=media)
            proxy, started = display_proxy(session.media_proxy if media else session.proxy), time.monotonic()
            try:
                result = await attempt()
            except MediaError as exc:
                STAGE_SECONDS.labels(stage, exc.reason).observe(time.monotonic() - started)
                run.failed(exc, proxy, trial.retry_state.attempt_number)
                raise
            except BaseException:
                session.abandon()
                raise
            STAGE_SECONDS.labels(stage, "ok").observe(time.monotonic() - started)
            run.succeeded(proxy, started)
    return result
