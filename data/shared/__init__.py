"""State every bot process must agree on: repeated updates, requests in flight per chat, spam counters,
Telegram's flood windows and holds, each chat's line, who fetches an item (single flight), and the media cache
index. One process keeps it in memory; several share it through Redis (REDIS_URL). Keys (data.keys) expire,
so a crashed process cannot hold anything forever."""

from __future__ import annotations

from data.shared.base import LEASE_TTL, PREFIX, SharedState
from data.shared.local import LocalState
from data.shared.redis_state import RedisState, ensure_redis_reachable, redis_options, safe_redis_url

__all__ = ["LEASE_TTL", "PREFIX", "LocalState", "RedisState", "SharedState", "create_state",
           "ensure_redis_reachable", "redis_options", "safe_redis_url"]


def create_state(redis_url: str | None, *, lease_ttl: float = LEASE_TTL) -> SharedState:
    """`lease_ttl`: how soon a dead process's leases lapse; no later than its jobs go to another worker."""
    state = RedisState(redis_url) if redis_url else LocalState()
    state.lease_ttl = lease_ttl
    return state
