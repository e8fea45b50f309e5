"""Single flight: the same work asked for by many requests at once (a viral link pasted in fifty chats), in
this process or any other, is done by the first request that takes its lease; the others wait for it and
then find it done, or hear why it failed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from data.keys import Key
from data.shared import SharedState
from media_types.limits import lending_slot
from pipeline import MediaError, error_for

log = logging.getLogger(__name__)

FLIGHT_POLL = 0.2  # seconds between looks at a lease somebody else holds


class SingleFlight:
    def __init__(self, state: SharedState, *, poll: float = FLIGHT_POLL) -> None:
        self._state = state
        self._poll = poll

    async def run(self, lease: Key, failure: Key, done: Callable[[], Awaitable[bool]],
                  produce: Callable[[], Awaitable[None]],
                  waiting: Callable[[], Awaitable[None]] | None = None) -> bool:
        """`done()` finishes the request from what exists already (True) or finds nothing (False);
        `produce()` does the work. Returns True when the request was finished by `done()`, False when this
        call produced. A MediaError of the producer is remembered under `failure` for the requests that
        waited, and raised for each of them. `waiting` is called once if this request starts waiting for
        another one."""
        waited = False
        while True:
            if await done():
                return True
            if waited and (reason := await self._state.get(failure)) is not None:
                raise error_for(reason, f"{reason} (another request tried just now)")
            async with self._state.lease(lease) as leading:
                if leading:
                    if await done():  # the previous leader finished between our look and our lease
                        return True
                    try:
                        await produce()
                    except MediaError as exc:
                        await self._state.put(failure, exc.reason)
                        raise
                    return False
            log.info("%s is being worked on for another request; waiting for it", lease.name)
            if not waited and waiting is not None:
                await waiting()
            # Not on a delivery slot meanwhile: the holder may itself need one to finish.
            await lending_slot(self._until_free(lease))
            waited = True

    async def _until_free(self, lease: Key) -> None:
        while await self._state.get(lease) is not None:  # noqa: ASYNC110 - the holder may be another process
            await asyncio.sleep(self._poll)
