"""Migrations and repositories, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from data import MediaKind, Platform, Repositories, Surface, create_engine, migrate, session_factory
from data.db import alembic_config, normalize_db_url
from data.models import Base


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def repositories(engine) -> Repositories:
    await migrate(engine)
    return Repositories(session_factory(engine))


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_every_revision_upgrades_downgrades_and_upgrades_again(engine) -> None:
    """The stairway: each revision in turn goes up, down to its predecessor, and up again."""
    revisions = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))
    assert revisions, "no migrations found"
    for revision in revisions:
        await migrate(engine, revision.revision)
        await migrate(engine, revision.down_revision or "base", downgrade=True)
        await migrate(engine, revision.revision)
    assert {"chats", "downloads", "media_cache"} <= await _tables(engine)
    await migrate(engine, "base", downgrade=True)
    assert await _tables(engine) == {"alembic_version"}


async def test_migrated_schema_matches_the_models(engine) -> None:
    await migrate(engine)

    def differences(sync_connection) -> list:
        context = MigrationContext.configure(sync_connection)
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_referral_is_recorded_once(repositories: Repositories) -> None:
    assert await repositories.chats.register(42, "private", referral="friend1") is True
    assert await repositories.chats.register(42, "private", referral="other") is False
    chat = await repositories.chats.get(42)
    assert (chat.referral, chat.kind, chat.language, chat.file_mode) == ("friend1", "private", None, False)
    assert chat.registered_at is not None


async def test_settings_are_stored_per_chat(repositories: Repositories) -> None:
    await repositories.chats.set_language(7, "private", "uk")
    await repositories.chats.set_file_mode(-100, "supergroup", True)
    await repositories.chats.set_language(-100, "supergroup", "ar")
    user, group = await repositories.chats.get(7), await repositories.chats.get(-100)
    assert (user.language, user.file_mode) == ("uk", False)
    assert (group.language, group.file_mode, group.kind) == ("ar", True, "supergroup")
    assert await repositories.chats.get(8) is None


async def test_blocking_and_coming_back(repositories: Repositories) -> None:
    await repositories.chats.register(5, "private")
    await repositories.chats.mark_blocked(5, "private")
    assert (await repositories.chats.get(5)).blocked_at is not None
    await repositories.chats.register(5, "private")
    assert (await repositories.chats.get(5)).blocked_at is None


async def test_media_cache_put_replace_get_drop(repositories: Repositories) -> None:
    cache = repositories.media_cache
    assert await cache.get(Platform.TIKTOK, "731", "video") is None
    await cache.put(Platform.TIKTOK, "731", "video", [{"type": "video", "file_id": "A"}])
    await cache.put(Platform.TIKTOK, "731", "video", [{"type": "video", "file_id": "B"}])
    await cache.put(Platform.INSTAGRAM, "731", "video", [{"type": "video", "file_id": "C"}])
    assert await cache.get(Platform.TIKTOK, "731", "video") == [{"type": "video", "file_id": "B"}]
    await cache.drop(Platform.TIKTOK, "731", "video")
    assert await cache.get(Platform.TIKTOK, "731", "video") is None
    assert await cache.get(Platform.INSTAGRAM, "731", "video") == [{"type": "video", "file_id": "C"}]


async def test_downloads_are_recorded(repositories: Repositories, engine) -> None:
    await repositories.downloads.record(
        user_id=1, chat_id=None, surface=Surface.INLINE, platform=Platform.TIKTOK,
        item_id="99", kind=MediaKind.MUSIC, cache_hit=True,
    )
    await repositories.downloads.flush()
    async with engine.connect() as connection:
        rows = (await connection.exec_driver_sql("SELECT surface, platform, kind, cache_hit FROM downloads")).all()
    assert [tuple(row) for row in rows] == [("inline", "tiktok", "music", True)]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql://h/db", "postgresql+asyncpg://h/db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
        ("sqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert normalize_db_url(given) == expected


async def test_stats_count_people_downloads_and_errors(repositories: Repositories) -> None:
    from datetime import UTC, datetime, timedelta

    await repositories.chats.register(1, "private")
    await repositories.chats.register(2, "private")
    await repositories.chats.register(-5, "supergroup")
    await repositories.chats.mark_blocked(2, "private")
    for item, kind, hit in (("1", MediaKind.VIDEO, False), ("1", MediaKind.VIDEO, True), ("2", MediaKind.IMAGES, True)):
        await repositories.downloads.record(user_id=1, chat_id=1, surface=Surface.PRIVATE, platform=Platform.TIKTOK,
                                            item_id=item, kind=kind, cache_hit=hit)
    await repositories.downloads.flush()
    for reason in ("deleted", "network", "deleted"):
        await repositories.failures.record(user_id=1, chat_id=1, surface=Surface.PRIVATE,
                                           platform=Platform.TIKTOK, reason=reason)
    stats = await repositories.stats.collect()
    assert (stats.users, stats.groups, stats.blocked) == (2, 1, 1)
    assert stats.downloads == {"24h": 3, "7d": 3, "30d": 3, "all": 3}
    assert stats.by_kind == {"video": 2, "images": 1} and stats.by_platform == {"tiktok": 3}
    assert abs(stats.cache_hit_ratio - 2 / 3) < 1e-9
    assert stats.top_errors == [("deleted", 2), ("network", 1)]
    assert len(stats.daily) == 14 and stats.daily[-1] == (datetime.now(UTC).date(), 3) and stats.daily[0][1] == 0
    later = await repositories.stats.collect(now=datetime.now(UTC) + timedelta(days=2))
    assert later.downloads["24h"] == 0 and later.downloads["7d"] == 3


async def test_broadcast_recipients_are_claimed_once(repositories: Repositories) -> None:
    for chat_id in (10, 11, 12):
        await repositories.chats.register(chat_id, "private")
    await repositories.chats.mark_blocked(12, "private")
    broadcast = await repositories.broadcasts.create(admin_id=1, source_chat_id=1, source_message_id=99)
    assert await repositories.broadcasts.audience() == 2
    assert await repositories.broadcasts.next_recipients(broadcast) == [10, 11]
    assert await repositories.broadcasts.claim(broadcast, 10) is True
    assert await repositories.broadcasts.claim(broadcast, 10) is False
    assert await repositories.broadcasts.next_recipients(broadcast) == [11]
    from data.models import BroadcastStatus, RecipientStatus

    await repositories.broadcasts.finish(broadcast, 10, RecipientStatus.SENT)
    assert await repositories.broadcasts.progress(broadcast) == {"sent": 1}
    assert await repositories.broadcasts.set_status(broadcast, BroadcastStatus.RUNNING,
                                                    only_from=BroadcastStatus.DRAFT) is True
    assert await repositories.broadcasts.set_status(broadcast, BroadcastStatus.RUNNING,
                                                    only_from=BroadcastStatus.DRAFT) is False
    assert [b.id for b in await repositories.broadcasts.running()] == [broadcast]
