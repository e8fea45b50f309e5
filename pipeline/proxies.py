"""Proxy rotation with health. ProxyManager owns the round robin over PROXY_FILE and what each proxy has
shown lately; a ProxySession belongs to one request and is sticky: every stage uses the same proxy until a
retry rotates it.

A proxy that cannot be reached (refused, timed out, 407, its own 5xx) is benched at once, for 30 s doubling
up to 10 min; when its time comes one request probes it (half-open) while the others keep away, and a
probe that gets through puts it back. A proxy the platform answers 403/429 through is rested, for a shorter
time. New sessions and retries skip benched and rested proxies while any other is usable."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from data.metrics import PROXY_STATE

log = logging.getLogger(__name__)

DIRECT = None  # the machine's own connection, in the rotation when PROXY_INCLUDE_HOST is set
BENCH_FIRST, BENCH_LONGEST = 30.0, 600.0  # seconds out after the first failure to reach a proxy, and at most
REST_FIRST, REST_LONGEST = 10.0, 120.0  # seconds out after the platform refused a proxy (403/429), and at most
PROBE_PATIENCE = 60.0  # seconds a probe may take before another request may probe instead
PROBE_POLL = 0.02  # seconds between looks while every proxy is being found out


def display_proxy(proxy: str | None) -> str:
    """A proxy as logs and metrics may show it: scheme, host and port, never the credentials."""
    if proxy is DIRECT:
        return "direct"
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


class ProxyState(StrEnum):
    HEALTHY = "healthy"
    RESTED = "rested"  # the platform refused it lately; back by itself
    BENCHED = "benched"  # unreachable; back after a probe gets through
    PROBING = "probing"  # one request is trying it


class Outcome(StrEnum):
    """What an attempt showed about the proxy it went through."""

    REACHED = "reached"  # whatever the platform answered, the proxy works
    UNREACHABLE = "unreachable"
    REFUSED = "refused"  # the platform answered 403/429 through it


@dataclass(slots=True)
class _Health:
    out_until: float = 0.0  # benched or rested until then
    trusted: bool = False  # an attempt through it got an answer since it was last unreachable
    benched: bool = False  # out because unreachable (needs a probe), not only rested
    next_bench: float = 0.0
    next_rest: float = 0.0
    probe_since: float | None = None  # an attempt is finding out whether it can be reached
    shown: ProxyState = ProxyState.HEALTHY  # the state /metrics last showed
    reached: int = 0
    unreachable: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class ProxyReport:
    """One proxy's state for /stats, /metrics and `fetch -v`."""

    proxy: str  # as display_proxy shows it
    state: ProxyState
    seconds_out: float
    reached: int
    unreachable: int
    refused: int

    def __str__(self) -> str:
        out = f" {self.seconds_out:.0f} s" if self.seconds_out else ""
        return (f"{self.proxy} {self.state}{out} ({self.reached} answered, {self.unreachable} unreachable, "
                f"{self.refused} refused)")


class ProxyManager:
    """Hands out starting points in the rotation so consecutive requests spread over the proxies, and the
    proxy each attempt goes through. A proxy not known to work (never tried, or back from the bench) carries
    one attempt at a time until it answers; the others keep away meanwhile, or wait a moment when every
    proxy is being found out."""

    def __init__(self, proxies: tuple[str, ...] = (), *, include_host: bool = False, data_only: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pool: tuple[str | None, ...] = (*proxies, DIRECT) if include_host or not proxies else tuple(proxies)
        self.data_only = data_only
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._clock = clock
        self._health = [_Health() for _ in self._pool]
        for proxy in self._pool:
            PROXY_STATE.labels(display_proxy(proxy)).state(ProxyState.HEALTHY)

    @property
    def pool(self) -> tuple[str | None, ...]:
        return self._pool

    def session(self) -> ProxySession:
        with self._lock:
            start = next(self._next) % len(self._pool)
        return ProxySession(self, start)

    def claim(self, index: int, probing: bool) -> tuple[int, bool] | None:
        """For an attempt about to start from `index` (whose probe this request holds, if `probing`): the
        proxy to use and whether this attempt probes it; None to wait a moment for a probe's answer."""
        with self._lock:
            now, size, waiting = self._clock(), len(self._pool), False
            for step in range(size):
                at = (index + step) % size
                health = self._health[at]
                if health.out_until > now:
                    continue
                if health.trusted:
                    return at, False
                mine = probing and at == index
                if not mine and health.probe_since is not None and now - health.probe_since < PROBE_PATIENCE:
                    waiting = True  # somebody else is finding out
                    continue
                health.probe_since = now
                self._refresh(now)
                return at, True
            if waiting:
                return None
            return min(range(size), key=lambda i: self._health[i].out_until), False

    def release_probe(self, index: int) -> None:
        with self._lock:
            self._health[index].probe_since = None
            self._refresh(self._clock())

    def report(self, index: int, outcome: Outcome) -> None:
        """What an attempt through the proxy at `index` showed."""
        with self._lock:
            health, now = self._health[index], self._clock()
            health.probe_since = None
            if outcome is Outcome.UNREACHABLE:
                health.unreachable += 1
                health.next_bench = min(max(2 * health.next_bench, BENCH_FIRST), BENCH_LONGEST)
                health.trusted, health.benched, health.out_until = False, True, now + health.next_bench
            else:
                if health.benched:
                    health.benched, health.out_until, health.next_bench = False, 0.0, 0.0
                health.trusted = True
                if outcome is Outcome.REACHED:
                    health.reached += 1
                    health.next_rest = 0.0
                else:
                    health.refused += 1
                    health.next_rest = min(max(2 * health.next_rest, REST_FIRST), REST_LONGEST)
                    health.out_until = max(health.out_until, now + health.next_rest)
            self._refresh(now)

    def reports(self) -> list[ProxyReport]:
        with self._lock:
            now = self._clock()
            self._refresh(now)
            return [ProxyReport(display_proxy(proxy), self._state(health, now), max(0.0, health.out_until - now),
                                health.reached, health.unreachable, health.refused)
                    for proxy, health in zip(self._pool, self._health, strict=True)]

    # Under the lock ----------------------------------------------------------------------------------

    def _state(self, health: _Health, now: float) -> ProxyState:
        if health.out_until > now:
            return ProxyState.BENCHED if health.benched else ProxyState.RESTED
        if health.probe_since is not None and health.benched:
            return ProxyState.PROBING
        return ProxyState.BENCHED if health.benched else ProxyState.HEALTHY

    def _refresh(self, now: float) -> None:
        """Show every proxy's current state in /metrics, and say in the log when one is benched or back."""
        for proxy, health in zip(self._pool, self._health, strict=True):
            state = self._state(health, now)
            if state is health.shown:
                continue
            name = display_proxy(proxy)
            if state is ProxyState.BENCHED and health.out_until > now:
                log.warning("proxy %s cannot be reached; benched for %.0f s", name, health.next_bench)
            elif state is ProxyState.RESTED:
                log.info("proxy %s is refused by the platform; resting it for %.0f s", name, health.next_rest)
            elif state is ProxyState.HEALTHY and health.shown in (ProxyState.PROBING, ProxyState.BENCHED):
                log.info("proxy %s is reachable again", name)
            health.shown = state
            PROXY_STATE.labels(name).state(state)


class ProxySession:
    """One request's view of the rotation: `proxy` stays the same until `rotate()` (called on a retry)."""

    def __init__(self, manager: ProxyManager, start: int) -> None:
        self._manager = manager
        self._index = start
        self._probing = False

    @property
    def proxy(self) -> str | None:
        """For page and API requests."""
        return self._manager.pool[self._index]

    @property
    def media_proxy(self) -> str | None:
        """For CDN downloads: direct when PROXY_DATA_ONLY keeps proxies for pages only."""
        return DIRECT if self._manager.data_only else self.proxy

    @property
    def choices(self) -> int:
        """How many different routes a retry could move to."""
        return len(self._manager.pool)

    def rotate(self) -> str | None:
        """A retry moves on to the next proxy (which one exactly is settled right before the attempt)."""
        self._index, self._probing = (self._index + 1) % len(self._manager.pool), False
        return self.proxy

    async def prepare(self, *, media: bool = False) -> None:
        """Right before an attempt: the proxy it goes through. A proxy found out meanwhile is passed over
        (that costs nothing: nothing was asked of it); with every proxy being found out, wait for one. A
        media attempt that goes direct (PROXY_DATA_ONLY) needs no proxy."""
        if media and self._manager.data_only:
            return
        while (claimed := self._manager.claim(self._index, self._probing)) is None:  # noqa: ASYNC110 - loop-free manager
            await asyncio.sleep(PROBE_POLL)
        self._index, self._probing = claimed

    def abandon(self) -> None:
        """The attempt ended without a verdict on its proxy (cancelled, or a failure of ours): a probe it
        held is free for another request."""
        if self._probing:
            self._probing = False
            self._manager.release_probe(self._index)

    def report(self, outcome: Outcome, *, media: bool = False) -> None:
        """What an attempt showed about its route; a media attempt that went direct says nothing of the
        proxy."""
        if media and self._manager.data_only:
            return
        self._probing = False
        self._manager.report(self._index, outcome)

    def __repr__(self) -> str:
        return f"ProxySession({display_proxy(self.proxy)})"
