"""Faults of the scaled-out set under load (tests/e2e/scaled.py: two webhook replicas, two workers, Redis,
PostgreSQL, 100 requests from 20 chats), counted by what the fake Telegram delivered: nothing lost, nothing
twice, every process that survives carries on by itself."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.e2e.scaled import scaled_out
from tests.fakes.servers import ThrowawayPostgres, ThrowawayRedis
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
    where.assert_each_delivered_once()
    answered = {update_id for update_id, status in telegram.webhook_deliveries if 200 <= status < 300}
    assert {request["update_id"] for request in where.requests} <= answered
    assert all(where.codes[name] == 0 for name in ("bot2", "worker1", "worker2")), outputs
    for name in ("bot2", "worker1", "worker2"):
        assert "Traceback" not in outputs[name], outputs[name]
    print(f"\nreplica killed: {len(counts)} delivered, 0 lost, 0 duplicated; all delivered {recovered:.1f} s "
          f"after the kill; longest wait {where.longest_wait():.1f} s")


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
    where.assert_each_delivered_once()
    assert all(alive.values()), alive  # nobody crashed for good: each reconnected by itself
    assert all(code == 0 for code in where.codes.values()), outputs
    assert not [name for name, output in outputs.items() if "Traceback" in output]
    print(f"\nredis restarted: {len(counts)} delivered, 0 lost, 0 duplicated; all delivered {recovered:.1f} s "
          f"after the restart began; longest wait {where.longest_wait():.1f} s")


async def test_the_bot_api_unreachable_for_30_s_delays_sends_and_loses_none(tmp_path, redis_url,
                                                                            postgres_url) -> None:
    """No connection to the Bot API for 30 s: every send waits (backing off) and goes out once it is back,
    paced by the flood limits (no burst of 429s); the calls the cut broke mid-way go again (in doubt)."""
    async with scaled_out(tmp_path, redis_url, postgres_url, cuttable_bot_api=True) as where:
        telegram = where.telegram
        telegram.enforce_flood_limits()
        where.send_load()
        await eventually(lambda: len(where.replies()) >= 30, 120, "the first 30 deliveries")
        where.bot_api.go_down()
        await asyncio.sleep(2)  # what Telegram had in full before the cut may still be answered (to nobody)
        down_at = len(where.replies())
        await asyncio.sleep(28)
        assert len(where.replies()) == down_at  # nothing got through meanwhile
        where.bot_api.come_back()
        back = time.monotonic()
        await where.all_delivered()
        recovered = time.monotonic() - back
    counts, outputs = where.replies(), where.outputs()
    # The cut broke the connections of the calls in flight: those went again, and one Telegram had already
    # handled arrives twice (counted and logged as in doubt); nothing else does.
    where.assert_each_delivered_once(but_in_doubt=True)
    twice = sum(count - 1 for count in counts.values())
    refused = [call for call in telegram.calls if call.error and "Too Many Requests" in call.error]
    assert not refused, [(call.method, call.error) for call in refused]
    assert all(code == 0 for code in where.codes.values()), outputs
    assert not [name for name, output in outputs.items() if "Traceback" in output]
    assert any("the Bot API cannot be reached" in output for output in outputs.values())
    print(f"\nbot api down 30 s: {len(counts)} delivered, 0 lost, {twice} twice ({len(where.in_doubt())} "
          f"repeated in doubt), {len(refused)} 429s; "
          f"{len(counts) - down_at} waited and were delivered {recovered:.1f} s after it came back; longest wait "
          f"{where.longest_wait():.1f} s")


async def test_postgresql_gone_for_10_s_mid_load_pauses_the_work_and_healthz_says_so(tmp_path, redis_url) -> None:
    """The database stopped for 10 s while deliveries run (its own cluster, started by the test): what needs it
    waits and goes on, nobody crashes, /healthz says unhealthy while it is gone and healthy after."""
    with ThrowawayPostgres() as database:
        async with scaled_out(tmp_path, redis_url, database.url) as where:
            health = f"http://127.0.0.1:{where.metrics_port}/healthz"
            where.send_load()
            await eventually(lambda: len(where.replies()) >= 30, 120, "the first 30 deliveries")
            await asyncio.to_thread(database.stop)
            stopped = time.monotonic()
            assert await eventually(lambda: status_of(health, 503), 15, "/healthz to say unhealthy")
            await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
            await asyncio.to_thread(database.start)
            back = time.monotonic()
            assert await eventually(lambda: status_of(health, 200), 30, "/healthz to say healthy again")
            await where.all_delivered()
            recovered = time.monotonic() - back
            alive = {name: process.poll() is None for name, process in where.processes.items()}
    counts, outputs = where.replies(), where.outputs()
    where.assert_each_delivered_once()
    assert all(alive.values()), alive
    assert all(code == 0 for code in where.codes.values()), outputs
    assert any("the database cannot be reached" in output for output in outputs.values())
    failures = [name for name, output in outputs.items() if "Traceback" in output]
    assert not failures, {name: outputs[name][-3000:] for name in failures}
    print(f"\npostgresql down 10 s: {len(counts)} delivered, 0 lost, 0 duplicated; all delivered {recovered:.1f} s "
          f"after it came back; longest wait {where.longest_wait():.1f} s")


async def status_of(url: str, expected: int) -> bool:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status == expected
