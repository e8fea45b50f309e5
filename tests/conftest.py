"""Shared fixtures: the two databases every storage test runs on."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from data.config import Settings

# PostgreSQL runs on every development and CI machine (trust auth, database `test`).
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Redis runs there too; each pytest-xdist worker takes a database of its own (Redis has 16).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {POSTGRES_URL} is required for this test: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Every test sees only the configuration it sets: no operator variables, no developer's .env."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A throw-away database on the local PostgreSQL server, dropped afterwards."""
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = POSTGRES_URL.rpartition("/")
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def redis_url(worker_id: str) -> AsyncIterator[str]:
    """An empty Redis database of this test's own (per xdist worker), emptied again afterwards."""
    from redis.asyncio import Redis
    from redis.exceptions import ConnectionError as RedisDown

    database = 1 + int(worker_id.removeprefix("gw")) % 15 if worker_id.startswith("gw") else 1
    url = f"{REDIS_URL}/{database}"
    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    except RedisDown as exc:
        message = f"Redis at {REDIS_URL} is required for this test: {exc}"
        await redis.aclose()
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url
    finally:
        await redis.flushdb()
        await redis.aclose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def world_proxies() -> dict:
    """The proxies of the offline TikTok; tests override this fixture to script bad ones."""
    return {"main": "healthy"}


@pytest.fixture
def world(world_proxies):
    from tests.fakes.world import TikTokWorld

    with TikTokWorld(world_proxies) as world:
        yield world


@pytest.fixture
def trust_world(world, monkeypatch: pytest.MonkeyPatch) -> None:
    """What export_ca_bundle does at start-up (the product's clients trust the world's test CA), undone
    after the test."""
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, str(world.ca_path))


@pytest.fixture
def telegram():
    from tests.fakes.telegram import FakeTelegram

    with FakeTelegram() as fake:
        yield fake
