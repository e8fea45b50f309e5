"""State every bot process must agree on: repeated updates, requests in flight per chat, spam counters,
who fetches an item (single flight), and the media cache index. One process keeps it in memory; several
share it through Redis (REDIS_URL). Keys expire, so a crashed process cannot hold anything forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from cachetools import TTLCache
from redis.asyncio import Redis

from data.config import ConfigError

PREFIX = "bot:"
LEASE_TTL = 30.0  # seconds a lease outlives its holder's last sign of life
log = logging.getLogger(__name__)


class SharedState(ABC):
    lease_ttl = LEASE_TTL

    @abstractmethod
    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        """Set the key if nobody has: True for the first claimer only."""

    @abstractmethod
    async def get(self, key: str) -> str | None: ...

    @abstractmethod
    async def put(self, key: str, value: str, ttl: float) -> None: ...

    @abstractmethod
    async def delete(self, key: str) -> None: ...

    @abstractmethod
    async def count_up(self, key: str, limit: int, ttl: float) -> bool:
        """Take one of `limit` places; False (and nothing taken) when all are taken."""

    @abstractmethod
    async def count_down(self, key: str) -> None:
        """Give a place back."""

    @abstractmethod
    async def hits(self, key: str, window: float) -> int:
        """Count one more event in the current `window`-second window and return the window's count."""

    async def close(self) -> None:
        """Release connections."""

    @contextlib.asynccontextmanager
    async def lease(self, key: str, value: str = "1") -> AsyncIterator[bool]:
        """Claim the key for as long as the block runs: the claim is renewed every third of `ttl`, so work
        of any length keeps it, and a holder that dies (SIGKILL, lost machine) lets it go within `ttl`.
        Yields False, holding nothing, when somebody else holds it."""
        ttl = self.lease_ttl
        if not await self.claim(key, ttl, value):
            yield False
            return
        renewing = asyncio.create_task(self._renew(key, value, ttl))
        try:
            yield True
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await asyncio.shield(self.delete(key))

    async def _renew(self, key: str, value: str, ttl: float) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                await self.put(key, value, ttl)
            except Exception:  # Redis away for a moment: the next renewal may get through
                log.warning("could not renew the lease on %s", key, exc_info=True)


class LocalState(SharedState):
    """The single-process default: dictionaries whose entries expire."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._counts: dict[str, int] = {}
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=3600)  # sweeps expired values

    def _live(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del self._values[key]
            return None
        return entry[0]

    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        if self._live(key) is not None:
            return False
        await self.put(key, value, ttl)
        return True

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def put(self, key: str, value: str, ttl: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl)
        self._recent[key] = True
        if len(self._values) > 2 * self._recent.maxsize:
            self._values = {k: v for k, v in self._values.items() if k in self._recent}

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def count_up(self, key: str, limit: int, ttl: float) -> bool:
        if self._counts.get(key, 0) >= limit:
            return False
        self._counts[key] = self._counts.get(key, 0) + 1
        return True

    async def count_down(self, key: str) -> None:
        remaining = self._counts.get(key, 0) - 1
        if remaining > 0:
            self._counts[key] = remaining
        else:
            self._counts.pop(key, None)

    async def hits(self, key: str, window: float) -> int:
        bucket = f"{key}:{int(time.monotonic() // window)}"
        count = int(self._live(bucket) or 0) + 1
        await self.put(bucket, str(count), window)
        return count


class RedisState(SharedState):
    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(url, decode_responses=True)

    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        return bool(await self._redis.set(PREFIX + key, value, nx=True, px=int(ttl * 1000)))

    async def get(self, key: str) -> str | None:
        return await self._redis.get(PREFIX + key)

    async def put(self, key: str, value: str, ttl: float) -> None:
        await self._redis.set(PREFIX + key, value, px=int(ttl * 1000))

    async def delete(self, key: str) -> None:
        await self._redis.delete(PREFIX + key)

    async def count_up(self, key: str, limit: int, ttl: float) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(PREFIX + key).pexpire(PREFIX + key, int(ttl * 1000)).execute()
        if count > limit:
            await self._redis.decr(PREFIX + key)
            return False
        return True

    async def count_down(self, key: str) -> None:
        if await self._redis.decr(PREFIX + key) <= 0:
            await self._redis.delete(PREFIX + key)

    async def hits(self, key: str, window: float) -> int:
        bucket = f"{PREFIX}{key}:{int(time.time() // window)}"
        async with self._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(bucket).pexpire(bucket, int(window * 1000) + 1000).execute()
        return int(count)

    async def close(self) -> None:
        await self._redis.aclose()


async def ensure_redis_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail start-up with one clear line (the password hidden) when Redis cannot be reached."""
    redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        await redis.ping()
    except Exception as exc:  # noqa: BLE001 - any client error means the same to the operator
        parts = urlsplit(url)
        shown = parts._replace(netloc=f"***@{parts.hostname}:{parts.port or 6379}") if parts.password else parts
        raise ConfigError(f"REDIS_URL: cannot connect to {urlunsplit(shown)}: {exc}") from None
    finally:
        await redis.aclose()


def create_state(redis_url: str | None, *, lease_ttl: float = LEASE_TTL) -> SharedState:
    """`lease_ttl`: how soon a dead process's leases lapse; no later than its jobs go to another worker."""
    state = RedisState(redis_url) if redis_url else LocalState()
    state.lease_ttl = lease_ttl
    return state
