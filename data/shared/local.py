"""The single-process shared state: dictionaries whose entries expire."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator

from cachetools import TTLCache

from data.keys import Key
from data.shared.base import SharedState


class LocalState(SharedState):
    """The single-process default: dictionaries whose entries expire."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._counts: dict[str, int] = {}
        self._events: dict[str, deque[float]] = {}
        self._windows: dict[str, dict[str, float]] = {}
        self._lines: dict[str, dict[str, float]] = {}
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=3600)  # sweeps expired values

    def _live(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del self._values[key]
            return None
        return entry[0]

    async def claim(self, key: Key, value: str = "1") -> bool:
        if self._live(key.name) is not None:
            return False
        await self.put(key, value)
        return True

    async def get(self, key: Key) -> str | None:
        return self._live(key.name)

    async def put(self, key: Key, value: str) -> None:
        self._set(key.name, value, key.lifetime)

    def _set(self, name: str, value: str, ttl: float) -> None:
        self._values[name] = (value, time.monotonic() + ttl)
        self._recent[name] = True
        if len(self._values) > 2 * self._recent.maxsize:
            self._values = {k: v for k, v in self._values.items() if k in self._recent}

    async def raise_to(self, key: Key, value: float) -> None:
        current = self._live(key.name)
        if current is None or float(current) < value:
            await self.put(key, str(value))

    async def delete(self, key: Key) -> None:
        self._values.pop(key.name, None)

    async def count_up(self, key: Key, limit: int, amount: int = 1) -> bool:
        if self._counts.get(key.name, 0) + amount > limit:
            return False
        self._counts[key.name] = self._counts.get(key.name, 0) + amount
        return True

    async def count_down(self, key: Key) -> None:
        remaining = self._counts.get(key.name, 0) - 1
        if remaining > 0:
            self._counts[key.name] = remaining
        else:
            self._counts.pop(key.name, None)

    async def hits(self, key: Key) -> int:
        now = time.monotonic()
        events = self._events.pop(key.name, None) or deque()
        while events and events[0] <= now - key.lifetime:
            events.popleft()
        events.append(now)
        self._events[key.name] = events  # most recently used last: the oldest senders are forgotten first
        if len(self._events) > self._recent.maxsize:
            del self._events[next(iter(self._events))]
        return len(events)

    async def take(self, key: Key, limit: int, window: float, weight: int = 1, stamp: str = "") -> float:
        now = time.monotonic()
        events = self._windows.setdefault(key.name, {})
        for member in [m for m, at in events.items() if at <= now - key.lifetime]:
            del events[member]
        inside = sorted(at for at in events.values() if at > now - window)
        need = len(inside) + weight - limit if weight <= limit else len(inside)
        if need <= 0:
            stamp = stamp or secrets.token_hex(6)
            events.update({f"{stamp}:{i}": now for i in range(weight)})
            return 0.0
        return inside[need - 1] + window - now

    async def restamp(self, key: Key, stamp: str, weight: int) -> None:
        events, now = self._windows.get(key.name, {}), time.monotonic()
        for i in range(weight):
            if f"{stamp}:{i}" in events:
                events[f"{stamp}:{i}"] = now

    async def line_join(self, key: Key, member: str, position: float) -> None:
        self._lines.setdefault(key.name, {})[member] = position

    async def line_rank(self, key: Key, member: str) -> int | None:
        line = self._lines.get(key.name, {})
        if member not in line:
            return None
        mine = (line[member], member)
        return sum(1 for other, position in line.items() if (position, other) < mine)

    async def line_leave(self, key: Key, member: str) -> None:
        line = self._lines.get(key.name, {})
        line.pop(member, None)
        if not line:
            self._lines.pop(key.name, None)

    @contextlib.asynccontextmanager
    async def lease(self, key: Key) -> AsyncIterator[bool]:
        """In one process a holder cannot die and leave its lease behind: no renewals needed."""
        if self._live(key.name) is not None:
            yield False
            return
        self._set(key.name, "1", 365 * 86400)
        try:
            yield True
        finally:
            await self.delete(key)
