"""Proxy health: an unreachable proxy is benched at once with a doubling back-off and probed by one request
when its time comes; a refused one is rested for less; attempts keep away from both while any other proxy is
usable, and a proxy not known to work carries one attempt at a time. Time is a clock the test turns."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.proxies import (
    BENCH_FIRST,
    BENCH_LONGEST,
    REST_FIRST,
    Outcome,
    ProxyManager,
    ProxySession,
    ProxyState,
)

POOL = ("http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(clock: Clock) -> ProxyManager:
    return ProxyManager(POOL, clock=clock)


def states(manager: ProxyManager) -> list[ProxyState]:
    return [report.state for report in manager.reports()]


async def attempt(manager: ProxyManager, outcome: Outcome | None = None,
                  session: ProxySession | None = None) -> ProxySession:
    """An attempt of a request (a new one unless `session`): its proxy settled, then what it showed."""
    session = session or manager.session()
    await session.prepare()
    if outcome is not None:
        session.report(outcome)
    return session


async def trusted(manager: ProxyManager) -> None:
    """Every proxy answered once."""
    for _ in POOL:
        await attempt(manager, Outcome.REACHED)


async def test_attempts_spread_over_the_pool(manager: ProxyManager) -> None:
    await trusted(manager)
    assert [(await attempt(manager)).proxy for _ in range(4)] == [*POOL, POOL[0]]


async def test_an_unknown_proxy_carries_one_attempt_until_it_answers(manager: ProxyManager) -> None:
    first = await attempt(manager)  # POOL[0], finding out
    others = [await attempt(manager) for _ in range(2)]  # POOL[1] and POOL[2], finding out too
    assert [s.proxy for s in (first, *others)] == list(POOL)
    waiting = asyncio.create_task(attempt(manager))  # every proxy is being found out: it waits
    await asyncio.sleep(0.1)
    assert not waiting.done()
    first.report(Outcome.UNREACHABLE)
    others[0].report(Outcome.REACHED)
    assert (await asyncio.wait_for(waiting, 1)).proxy == POOL[1]


async def test_an_unreachable_proxy_is_benched_and_passed_over(manager: ProxyManager) -> None:
    await trusted(manager)
    early = manager.session()  # starts at POOL[0]...
    await attempt(manager)
    await attempt(manager)
    await attempt(manager, Outcome.UNREACHABLE)  # ...which the fourth request finds dead
    assert states(manager) == [ProxyState.BENCHED, ProxyState.HEALTHY, ProxyState.HEALTHY]
    await early.prepare()
    assert early.proxy == POOL[1]
    assert {(await attempt(manager)).proxy for _ in range(10)} == set(POOL[1:])
    assert early.rotate() == POOL[2]
    await early.prepare()
    early.rotate()
    await early.prepare()
    assert early.proxy == POOL[1]  # POOL[0] is skipped


async def test_the_bench_doubles_up_to_its_longest(manager: ProxyManager, clock: Clock) -> None:
    lengths = []
    for _ in range(8):
        session = manager.session()
        while session.proxy != POOL[0]:
            session = manager.session()
        clock.now += 1000  # the bench ran out: this attempt probes POOL[0]
        await attempt(manager, Outcome.UNREACHABLE, session)
        lengths.append(manager.reports()[0].seconds_out)
    assert lengths[:5] == [BENCH_FIRST, 2 * BENCH_FIRST, 4 * BENCH_FIRST, 8 * BENCH_FIRST, 16 * BENCH_FIRST]
    assert max(lengths) == BENCH_LONGEST


async def test_one_request_probes_a_benched_proxy_when_its_time_comes(manager: ProxyManager, clock: Clock) -> None:
    await trusted(manager)
    await attempt(manager, Outcome.UNREACHABLE)
    clock.now += BENCH_FIRST
    attempts = [await attempt(manager) for _ in range(9)]
    probes = [s for s in attempts if s.proxy == POOL[0]]
    assert len(probes) == 1 and states(manager)[0] is ProxyState.PROBING
    probes[0].report(Outcome.REACHED)
    assert states(manager)[0] is ProxyState.HEALTHY
    assert [(await attempt(manager)).proxy for _ in range(9)].count(POOL[0]) == 3


async def test_a_failed_probe_benches_it_for_longer(manager: ProxyManager, clock: Clock) -> None:
    await trusted(manager)
    await attempt(manager, Outcome.UNREACHABLE)
    clock.now += BENCH_FIRST
    probe = next(s for s in [await attempt(manager) for _ in range(3)] if s.proxy == POOL[0])
    probe.report(Outcome.UNREACHABLE)
    assert states(manager)[0] is ProxyState.BENCHED and manager.reports()[0].seconds_out == 2 * BENCH_FIRST


async def test_a_refused_proxy_is_rested_for_less_and_comes_back(manager: ProxyManager, clock: Clock) -> None:
    await trusted(manager)
    await attempt(manager, Outcome.REFUSED)
    assert states(manager)[0] is ProxyState.RESTED and manager.reports()[0].seconds_out == REST_FIRST < BENCH_FIRST
    assert POOL[0] not in {(await attempt(manager)).proxy for _ in range(6)}
    clock.now += REST_FIRST
    assert states(manager)[0] is ProxyState.HEALTHY
    assert POOL[0] in {(await attempt(manager)).proxy for _ in range(3)}


async def test_with_every_proxy_out_the_one_back_soonest_is_used(manager: ProxyManager, clock: Clock) -> None:
    for _ in POOL:
        await attempt(manager, Outcome.UNREACHABLE)
        clock.now += 1
    assert states(manager) == [ProxyState.BENCHED] * 3
    assert (await attempt(manager)).proxy == POOL[0]


async def test_counts_of_what_each_proxy_showed_are_kept(manager: ProxyManager) -> None:
    await attempt(manager, Outcome.REACHED)
    await attempt(manager, Outcome.REFUSED)
    await attempt(manager, Outcome.UNREACHABLE)
    assert [(r.reached, r.refused, r.unreachable) for r in manager.reports()] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    assert all("@" not in r.proxy for r in manager.reports())
