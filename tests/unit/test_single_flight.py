"""Single flight: one producer per lease, every waiter finished by done() or told the producer's typed error."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from data import keys
from data.shared import LocalState, RedisState, SharedState
from media_types.flight import SingleFlight
from pipeline import ItemDeletedError, MediaError
from tests.harness import eventually

REQUESTS = 8
WAITING = "is being worked on for another request"


@pytest.fixture(params=["local", "redis"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process state; an empty Redis database of this test's own for the shared one."""
    return None if request.param == "local" else request.getfixturevalue("redis_url")


@pytest.fixture
async def state(state_url: str | None) -> AsyncIterator[SharedState]:
    shared = LocalState() if state_url is None else RedisState(state_url)
    try:
        yield shared
    finally:
        await shared.close()


class Item:
    """One item's variant as the flight sees it: its keys, whether it exists yet, how often it was made."""

    def __init__(self) -> None:
        item_id = uuid.uuid4().hex
        self.lease = keys.flight("tiktok", item_id, "media")
        self.failure = keys.flight_failure("tiktok", item_id, "media")
        self.exists = False
        self.produced = 0
        self.served = 0
        self.release = asyncio.Event()

    async def done(self) -> bool:
        if self.exists:
            self.served += 1
        return self.exists

    async def produce(self) -> None:
        self.produced += 1
        await self.release.wait()
        self.exists = True

    async def fail(self) -> None:
        self.produced += 1
        await self.release.wait()
        raise ItemDeletedError("the post was removed")


async def _until_all_wait(caplog: pytest.LogCaptureFixture, followers: int) -> None:
    """Let the producer go only once every other request has seen its lease and is waiting for it."""
    await eventually(lambda: sum(WAITING in r.getMessage() for r in caplog.records) >= followers,
                     what=f"{followers} requests waiting on the lease")


async def test_concurrent_requests_produce_once_and_the_rest_are_served_by_done(
        state: SharedState, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="media_types.flight")
    flight, item = SingleFlight(state, poll=0.01), Item()
    runs = [asyncio.create_task(flight.run(item.lease, item.failure, item.done, item.produce))
            for _ in range(REQUESTS)]
    await _until_all_wait(caplog, REQUESTS - 1)
    assert item.produced == 1 and not any(run.done() for run in runs)
    item.release.set()
    results = await asyncio.wait_for(asyncio.gather(*runs), 10)

    assert sorted(results) == [False] + [True] * (REQUESTS - 1)  # False: this call produced
    assert item.produced == 1
    assert item.served == REQUESTS - 1
    assert await state.get(item.lease) is None  # the lease is given back


async def test_a_second_request_after_success_is_served_by_done(state: SharedState) -> None:
    flight, item = SingleFlight(state, poll=0.01), Item()
    item.release.set()
    assert await flight.run(item.lease, item.failure, item.done, item.produce) is False
    assert await flight.run(item.lease, item.failure, item.done, item.produce) is True
    assert (item.produced, item.served) == (1, 1)


async def test_the_producers_error_reaches_every_waiter_as_the_same_typed_error(
        state: SharedState, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="media_types.flight")
    flight, item = SingleFlight(state, poll=0.01), Item()
    runs = [asyncio.create_task(flight.run(item.lease, item.failure, item.done, item.fail))
            for _ in range(REQUESTS)]
    await _until_all_wait(caplog, REQUESTS - 1)
    item.release.set()
    outcomes = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 10)

    assert item.produced == 1  # the waiters did not try again themselves
    assert all(isinstance(outcome, ItemDeletedError) for outcome in outcomes), outcomes
    assert {outcome.reason for outcome in outcomes if isinstance(outcome, MediaError)} == {"deleted"}
    assert await state.get(item.failure) == "deleted"  # remembered for requests arriving just after


async def test_a_new_request_after_a_failure_tries_again(state: SharedState) -> None:
    """Only a request that waited reads the remembered failure; a new one tries again (the failure
    may have been transient for another proxy)."""
    flight, item = SingleFlight(state, poll=0.01), Item()
    item.release.set()
    with pytest.raises(ItemDeletedError):
        await flight.run(item.lease, item.failure, item.done, item.fail)
    with pytest.raises(ItemDeletedError):
        await flight.run(item.lease, item.failure, item.done, item.fail)
    assert item.produced == 2
