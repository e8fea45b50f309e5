"""The shared state of several processes, in Redis: atomic scripts for counters and windows, sorted sets for
lines, redis-py's Lock for leases, and connection options that ride out a blip."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from data.background import let_go
from data.config import ConfigError
from data.keys import Key
from data.shared.base import PREFIX, SharedState

log = logging.getLogger(__name__)


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
# A sliding window of one member per place, scored by Redis's own clock (ms), so every process and machine
# counts alike; ARGV: window, limit, weight, keep, stamp.
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""
_TAKE = _NOW + """
local window = tonumber(ARGV[1])
local limit, weight, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
local inside = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
local count = #inside / 2
local need = count
if weight <= limit then need = count + weight - limit end
if need <= 0 then
  for i = 0, weight - 1 do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], keep)
  return 0
end
return math.max(1, tonumber(inside[need * 2]) + window - now)
"""
_RESTAMP = _NOW + """
for i = 0, tonumber(ARGV[2]) - 1 do redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1] .. ':' .. i) end
"""
_RAISE_TO = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
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
        self._take = self._redis.register_script(_TAKE)
        self._restamp = self._redis.register_script(_RESTAMP)
        self._raise_to = self._redis.register_script(_RAISE_TO)

    async def claim(self, key: Key, value: str = "1") -> bool:
        return bool(await self._redis.set(PREFIX + key.name, value, nx=True, px=_ms(key.lifetime)))

    async def get(self, key: Key) -> str | None:
        value = await self._redis.get(PREFIX + key.name)
        return value if value is None else str(value)

    async def put(self, key: Key, value: str) -> None:
        await self._redis.set(PREFIX + key.name, value, px=_ms(key.lifetime))

    async def raise_to(self, key: Key, value: float) -> None:
        await self._raise_to(keys=[PREFIX + key.name], args=[repr(value), _ms(key.lifetime)])

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

    async def take(self, key: Key, limit: int, window: float, weight: int = 1, stamp: str = "") -> float:
        args: list[int | str] = [_ms(window), limit, weight, _ms(key.lifetime), stamp or secrets.token_hex(6)]
        wait_ms = await self._take(keys=[PREFIX + key.name], args=args)
        return max(0.0, int(wait_ms) / 1000)

    async def restamp(self, key: Key, stamp: str, weight: int) -> None:
        await self._restamp(keys=[PREFIX + key.name], args=[stamp, weight])

    async def line_join(self, key: Key, member: str, position: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(PREFIX + key.name, {member: position})
            pipe.pexpire(PREFIX + key.name, _ms(key.lifetime))
            await pipe.execute()

    async def line_rank(self, key: Key, member: str) -> int | None:
        rank: int | None = await self._redis.zrank(PREFIX + key.name, member)  # type: ignore[assignment]
        return rank

    async def line_leave(self, key: Key, member: str) -> None:
        await self._redis.zrem(PREFIX + key.name, member)

    @contextlib.asynccontextmanager
    async def lease(self, key: Key) -> AsyncIterator[bool]:
        """redis-py's Lock: a token of our own, extended and released only while it is still ours. The renewal
        ends with the block and is not waited for (data.background): when the holder awaited it, a renewal whose
        cancellation got lost in the Redis client went on renewing, and the holder, its delivery and every
        request waiting for the lease hung (the scaled-out Bot API outage test, two runs in about 25)."""
        lock = self._redis.lock(PREFIX + key.name, timeout=self.lease_ttl, blocking=False, thread_local=False)
        if not await lock.acquire():
            yield False
            return
        holder = asyncio.current_task()
        if holder is None:
            raise RuntimeError("a lease is held by a task")
        stop = asyncio.Event()
        renewing = asyncio.create_task(self._keep(lock, key.name, holder, stop))
        try:
            yield True
        finally:
            let_go(renewing, stop)
            try:
                await asyncio.shield(lock.release())
            except LockError:  # already lapsed: nothing of ours to remove
                pass
            except RedisError as exc:  # it lapses by itself within its ttl
                log.warning("could not release the lease on %s: %s", key.name, exc)

    async def _keep(self, lock: Lock, key: str, holder: asyncio.Task[Any], stop: asyncio.Event) -> None:
        """Renew the lease; if it lapsed (a stall longer than its ttl) take it again, and if somebody else
        took it meanwhile, stop the holder's work: two processes must not do the same job."""
        while True:
            await asyncio.sleep(self.lease_ttl / 3)
            if stop.is_set():
                return
            try:
                try:
                    await lock.reacquire()
                except LockNotOwnedError:
                    if stop.is_set():  # released meanwhile: not ours to take again
                        return
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
