"""Faults of the scaled-out set under load (tests/e2e/scaled.py: two webhook replicas, two workers, Redis,
PostgreSQL, 100 requests from 20 chats), counted by what the fake Telegram delivered: nothing lost, nothing
twice, every process that survives carries on by itself."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.scaled import scaled_out
from tests.fakes.servers import ThrowawayRedis
from tests.harness import eventually


async def test_a_bot_replica_killed_mid_load_loses_no_update(tmp_path, redis_url, postgres_url) -> None:
    """An update the dead replica had taken but not answered is sent again by Telegram (its webhook call
    failed): the other replica waits while the dead one's claim on it lasts, then drops it if it was queued,
    else handles it."""
    async with scaled_out(tmp_path, redis_url, postgres_url) as where:
        telegram = where.telegram
        bot1 = where.balancer.backends[0]
        where.send_load()
        # Kill bot1 while it holds an update it has not answered: taken, maybe claimed or queued, not answered.
        await eventually(lambda: where.balancer.pending[bot1] > 0, 60, "bot1 to be handling an update",
                         interval=0.001)
        where.kill("bot1")
        killed = time.monotonic()
        await where.all_delivered()
        recovered = time.monotonic() - killed
    counts, outputs = where.replies(), where.outputs()
    assert set(counts) == where.asked()  # nothing lost
    assert all(count == 1 for count in counts.values()), {k: c for k, c in counts.items() if c != 1}
    answered = {update_id for update_id, status in telegram.webhook_deliveries if 200 <= status < 300}
    assert {request["update_id"] for request in where.requests} <= answered
    assert all(where.codes[name] == 0 for name in ("bot2", "worker1", "worker2")), outputs
    for name in ("bot2", "worker1", "worker2"):
        assert "Traceback" not in outputs[name], outputs[name]
    print(f"\nreplica killed: {len(counts)} delivered, 0 lost, 0 duplicated; all delivered {recovered:.1f} s "
          "after the kill")


async def test_redis_restarted_mid_load_loses_and_repeats_nothing(tmp_path, postgres_url) -> None:
    """Redis (append-only, as docker-compose.yml runs it) restarted while jobs are queued and running: the jobs
    queued before come back with it, every process reconnects by itself, nothing arrives twice."""
    with ThrowawayRedis(tmp_path / "redis") as redis:
        async with scaled_out(tmp_path, redis.url, postgres_url) as where:
            where.send_load()
            await eventually(lambda: len(where.replies()) >= 30, 120, "the first 30 deliveries")
            stopped = time.monotonic()
            await asyncio.to_thread(redis.restart, 1.0)
            await where.all_delivered()
            recovered = time.monotonic() - stopped
            alive = {name: process.poll() is None for name, process in where.processes.items()}
    counts, outputs = where.replies(), where.outputs()
    assert set(counts) == where.asked()  # nothing lost
    assert all(count == 1 for count in counts.values()), {k: c for k, c in counts.items() if c != 1}
    assert all(alive.values()), alive  # nobody crashed for good: each reconnected by itself
    assert all(code == 0 for code in where.codes.values()), outputs
    assert not [name for name, output in outputs.items() if "Traceback" in output]
    print(f"\nredis restarted: {len(counts)} delivered, 0 lost, 0 duplicated; all delivered {recovered:.1f} s "
          "after the restart began")


async def test_the_bot_api_unreachable_for_30_s_delays_sends_and_loses_none(tmp_path, redis_url,
                                                                            postgres_url) -> None:
    """No connection to the Bot API for 30 s: every send waits (backing off) and goes out once it is back,
    each once, paced by the flood limits: no burst of 429s."""
    async with scaled_out(tmp_path, redis_url, postgres_url, cuttable_bot_api=True) as where:
        telegram = where.telegram
        telegram.enforce_flood_limits()
        where.send_load()
        await eventually(lambda: len(where.replies()) >= 30, 120, "the first 30 deliveries")
        where.bot_api.go_down()
        down_at = len(where.replies())
        await asyncio.sleep(30)
        assert len(where.replies()) == down_at  # nothing got through meanwhile
        where.bot_api.come_back()
        back = time.monotonic()
        await where.all_delivered()
        recovered = time.monotonic() - back
    counts, outputs = where.replies(), where.outputs()
    assert set(counts) == where.asked()  # nothing lost
    assert all(count == 1 for count in counts.values()), {k: c for k, c in counts.items() if c != 1}
    refused = [call for call in telegram.calls if call.error and "Too Many Requests" in call.error]
    assert not refused, [(call.method, call.error) for call in refused]
    assert all(code == 0 for code in where.codes.values()), outputs
    assert not [name for name, output in outputs.items() if "Traceback" in output]
    assert any("the Bot API cannot be reached" in output for output in outputs.values())
    print(f"\nbot api down 30 s: {len(counts)} delivered, 0 lost, 0 duplicated, {len(refused)} 429s; "
          f"{len(counts) - down_at} waited and were delivered {recovered:.1f} s after it came back")
