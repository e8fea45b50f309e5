"""State every bot process must agree on: repeated updates, requests in flight per chat, spam counters,
who fetches an item (single flight), and the media cache index. One process keeps it in memory; several
share it through Redis (REDIS_URL). Keys (data.keys) expire, so a crashed process cannot hold anything
forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from data.config import ConfigError
from data.keys import Key

PREFIX = "bot:"
LEASE_TTL = 30.0  # seconds a lease outlives its holder's last sign of life
log = logging.getLogger(__name__)


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
    async def count_up(self, key: Key, limit: int, amount: int = 1) -> bool:
        """Take `amount` of `limit` places; False (and nothing taken) when there are not that many left."""

    @abstractmethod
    async def count_down(self, key: Key) -> None:
        """Give a place back."""

    @abstractmethod
    async def hits(self, key: Key) -> int:
        """Count one more event and return how many there were in the last `key.ttl` seconds (a sliding
        window: no boundary at which a burst of twice the limit gets through)."""

    async def close(self) -> None:  # noqa: B027 - most states hold no connection
        """Release connections."""

    @abstractmethod
    def lease(self, key: Key) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the key for as long as the block runs (yields False, holding nothing, when somebody else
        holds it). With Redis the hold is renewed every third of `lease_ttl`, so work of any length keeps
        it, and a holder that dies (SIGKILL, lost machine) lets it go within `lease_ttl`."""


class LocalState(SharedState):
    """The single-process default: dictionaries whose entries expire."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._counts: dict[str, int] = {}
        self._events: dict[str, deque[float]] = {}
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


# Take a place only while fewer than the limit are taken; the expiry (a crashed holder's places come back)
# is pushed out only by a place actually taken, so a chat that keeps asking cannot keep a leak alive.
_COUNT_UP = """
local taken = redis.call('INCRBY', KEYS[1], ARGV[3])
if taken > tonumber(ARGV[1]) then
  redis.call('DECRBY', KEYS[1], ARGV[3])
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_COUNT_DOWN = """
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
"""


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def redis_options() -> dict[str, Any]:
    """Connection options for every Redis client of the bot: a blip (failover, restart) is retried with
    backoff for a few seconds instead of failing the request or the worker."""
    return {"retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=6),
            "retry_on_error": [RedisConnectionError, RedisTimeoutError], "health_check_interval": 30}


class RedisState(SharedState):
    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(url, decode_responses=True, **redis_options())
        self._count_up = self._redis.register_script(_COUNT_UP)
        self._count_down = self._redis.register_script(_COUNT_DOWN)

    async def claim(self, key: Key, value: str = "1") -> bool:
        return bool(await self._redis.set(PREFIX + key.name, value, nx=True, px=_ms(key.lifetime)))

    async def get(self, key: Key) -> str | None:
        value = await self._redis.get(PREFIX + key.name)
        return value if value is None else str(value)

    async def put(self, key: Key, value: str) -> None:
        await self._redis.set(PREFIX + key.name, value, px=_ms(key.lifetime))

    async def delete(self, key: Key) -> None:
        await self._redis.delete(PREFIX + key.name)

    async def count_up(self, key: Key, limit: int, amount: int = 1) -> bool:
        return bool(await self._count_up(keys=[PREFIX + key.name], args=[limit, _ms(key.lifetime), amount]))

    async def count_down(self, key: Key) -> None:
        await self._count_down(keys=[PREFIX + key.name])

    async def hits(self, key: Key) -> int:
        """A sorted set of the events' times, trimmed to the window, in one transaction."""
        now, name, window = time.time(), PREFIX + key.name, key.lifetime
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", now - window)
            pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
            pipe.zcard(name)
            pipe.pexpire(name, _ms(window) + 1000)
            _, _, count, _ = await pipe.execute()
        return int(count)

    @contextlib.asynccontextmanager
    async def lease(self, key: Key) -> AsyncIterator[bool]:
        """redis-py's Lock: a token of our own, extended and released only while it is still ours."""
        lock = self._redis.lock(PREFIX + key.name, timeout=self.lease_ttl, blocking=False, thread_local=False)
        if not await lock.acquire():
            yield False
            return
        holder = asyncio.current_task()
        if holder is None:
            raise RuntimeError("a lease is held by a task")
        renewing = asyncio.create_task(self._keep(lock, key.name, holder))
        try:
            yield True
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)  # its own end, not the holder's
            try:
                await asyncio.shield(lock.release())
            except LockError:  # already lapsed: nothing of ours to remove
                pass
            except RedisError as exc:  # it lapses by itself within its ttl
                log.warning("could not release the lease on %s: %s", key.name, exc)

    async def _keep(self, lock: Lock, key: str, holder: asyncio.Task[Any]) -> None:
        """Renew the lease; if it lapsed (a stall longer than its ttl) take it again, and if somebody else
        took it meanwhile, stop the holder's work: two processes must not do the same job."""
        while True:
            await asyncio.sleep(self.lease_ttl / 3)
            try:
                try:
                    await lock.reacquire()
                except LockNotOwnedError:
                    if not await lock.acquire():
                        log.error("lost the lease on %s to another process; stopping this work", key)  # noqa: TRY400
                        holder.cancel()
                        return
                    log.warning("the lease on %s had lapsed; taken again", key)
            except RedisError as exc:  # Redis away for longer than the retries: the next turn may get through
                log.warning("could not renew the lease on %s: %s", key, exc)

    async def close(self) -> None:
        await self._redis.aclose()


def safe_redis_url(url: str) -> str:
    """The URL without credentials (user info or a password query parameter), for messages."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else ""
    return urlunsplit((parts.scheme, f"***@{where}" if parts.username or parts.password else where,
                       parts.path, "", ""))


async def ensure_redis_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail start-up with one clear line (the password hidden) when Redis cannot be reached."""
    redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        await redis.ping()
    except Exception as exc:  # noqa: BLE001 - any client error means the same to the operator
        raise ConfigError(f"REDIS_URL: cannot connect to {safe_redis_url(url)}: {exc}") from None
    finally:
        await redis.aclose()


def create_state(redis_url: str | None, *, lease_ttl: float = LEASE_TTL) -> SharedState:
    """`lease_ttl`: how soon a dead process's leases lapse; no later than its jobs go to another worker."""
    state = RedisState(redis_url) if redis_url else LocalState()
    state.lease_ttl = lease_ttl
    return state
