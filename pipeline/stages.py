"""The retry policy shared by the three stages: each has its own attempt budget, retries only what may
pass on another attempt, and moves the request to the next proxy before retrying."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from data.metrics import PROXY_FAILURES, RETRIES, STAGE_SECONDS
from pipeline.errors import MediaError
from pipeline.proxies import ProxySession, display_proxy

log = logging.getLogger(__name__)
T = TypeVar("T")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, MediaError) and exc.retryable


async def run_stage(
    stage: str, budget: int, session: ProxySession, attempt: Callable[[], Awaitable[T]], *, subject: str = "",
) -> T:
    """Run `attempt` up to `budget` times. A permanent MediaError (or any other exception) ends the
    stage at once; a transient one rotates the proxy, waits briefly and tries again. A MediaError that
    leaves the stage carries the stage, the proxy and the attempt count (admins see them)."""

    def rotate(state: RetryCallState) -> None:
        previous = display_proxy(session.proxy)
        RETRIES.labels(stage).inc()
        log.info("%s %s: attempt %d/%d via %s failed (%s); retrying via %s", stage, subject,
                 state.attempt_number, budget, previous, state.outcome.exception() if state.outcome else "-",
                 display_proxy(session.rotate()))

    retrying = AsyncRetrying(
        stop=stop_after_attempt(budget),
        retry=retry_if_exception(_retryable),
        wait=wait_exponential(multiplier=0.1, max=2),
        before_sleep=rotate,
        reraise=True,
    )
    async for trial in retrying:
        with trial:
            number, proxy, started = trial.retry_state.attempt_number, display_proxy(session.proxy), time.monotonic()
            try:
                result = await attempt()
            except MediaError as exc:
                STAGE_SECONDS.labels(stage, exc.reason).observe(time.monotonic() - started)
                if exc.retryable:
                    PROXY_FAILURES.labels(proxy).inc()
                exc.stage, exc.proxy, exc.attempts = stage, proxy, number
                if not exc.retryable or number >= budget:
                    log.info("%s %s: attempt %d/%d via %s failed for good: %s (%s)", stage, subject, number,
                             budget, proxy, exc.reason, exc)
                raise
            STAGE_SECONDS.labels(stage, "ok").observe(time.monotonic() - started)
            log.debug("%s %s: attempt %d/%d via %s ok in %.2f s", stage, subject, number, budget, proxy,
                      time.monotonic() - started)
    return result
