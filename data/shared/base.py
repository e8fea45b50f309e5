"""What every process must agree on, as one interface: claims, values, counters, sliding windows, lines and
leases under the keys of data.keys. LocalState keeps it in one process; RedisState shares it (REDIS_URL)."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod

from data.keys import Key

PREFIX = "bot:"
LEASE_TTL = 30.0  # seconds a lease outlives its holder's last sign of life


class SharedState(ABC):
    lease_ttl = LEASE_TTL

    @abstractmethod
    async def claim(self, key: Key, value: str = "1") -> bool:
        """Set the key if nobody has: True for the first claimer only."""

    @abstractmethod
    async def get(self, key: Key) -> str | None: ...

    @abstractmethod
    async def put(self, key: Key, value: str) -> None: ...

    @abstractmethod
    async def delete(self, key: Key) -> None: ...

    @abstractmethod
    async def raise_to(self, key: Key, value: float) -> None:
        """Set a number, unless it already holds a larger one (atomically); its ttl starts again."""

    @abstractmethod
    async def count_up(self, key: Key, limit: int, amount: int = 1) -> bool:
        """Take `amount` of `limit` places; False (and nothing taken) when there are not that many left."""

    @abstractmethod
    async def count_down(self, key: Key) -> None:
        """Give a place back."""

    @abstractmethod
    async def hits(self, key: Key) -> int:
        """Count one more event and return how many there were in the last `key.ttl` seconds (a sliding
        window: no boundary at which a burst of twice the limit gets through)."""

    @abstractmethod
    async def take(self, key: Key, limit: int, window: float, weight: int = 1, stamp: str = "") -> float:
        """A sliding window of events (`key.ttl`: the longest window anyone asks about): take `weight`
        places when the last `window` seconds leave room for them (or hold nothing at all, for a weight
        over the limit). 0.0 when taken; else, taking nothing, the seconds until there will be room.
        `stamp` names the places taken, for restamp()."""

    @abstractmethod
    async def restamp(self, key: Key, stamp: str, weight: int) -> None:
        """Move the places taken under `stamp` to now (the event happened later than it was booked)."""

    @abstractmethod
    async def line_join(self, key: Key, member: str, position: float) -> None:
        """Stand in a line (ordered by position, then member) that lives `key.ttl` after its last join."""

    @abstractmethod
    async def line_rank(self, key: Key, member: str) -> int | None:
        """How many stand ahead of `member`; None when it is not in the line."""

    @abstractmethod
    async def line_leave(self, key: Key, member: str) -> None: ...

    async def close(self) -> None:  # noqa: B027 - most states hold no connection
        """Release connections."""

    @abstractmethod
    def lease(self, key: Key) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the key for as long as the block runs (yields False, holding nothing, when somebody else
        holds it). With Redis the hold is renewed every third of `lease_ttl`, so work of any length keeps
        it, and a holder that dies (SIGKILL, lost machine) lets it go within `lease_ttl`."""
