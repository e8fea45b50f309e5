"""Repositories: all SQL lives here. Each method is one short transaction of its own, so a
long download never holds a database transaction open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import Chat, Download, MediaCacheEntry, MediaKind, Platform, Surface


def _insert_for(session: AsyncSession) -> Callable:
    """The dialect's INSERT, which knows ON CONFLICT on both SQLite and PostgreSQL."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


class ChatRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            return await session.get(Chat, chat_id)

    async def register(self, chat_id: int, kind: str, *, referral: str | None = None) -> bool:
        """Create the chat if it is new (keeping the referral of its first /start); True when created.
        A chat that comes back after blocking the bot is unblocked."""
        async with self._sessions.begin() as session:
            insert = _insert_for(session)
            created = await session.execute(
                insert(Chat)
                .values(id=chat_id, kind=kind, referral=referral, registered_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=[Chat.id])
            )
            if created.rowcount:
                return True
            await session.execute(
                update(Chat).where(Chat.id == chat_id).values(kind=kind, blocked_at=None)
            )
            return False

    async def set_language(self, chat_id: int, kind: str, language: str) -> None:
        await self._upsert(chat_id, kind, language=language)

    async def set_file_mode(self, chat_id: int, kind: str, enabled: bool) -> None:
        await self._upsert(chat_id, kind, file_mode=enabled)

    async def mark_blocked(self, chat_id: int, kind: str) -> None:
        await self._upsert(chat_id, kind, blocked_at=datetime.now(UTC))

    async def mark_unblocked(self, chat_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(Chat).where(Chat.id == chat_id).values(blocked_at=None))

    async def _upsert(self, chat_id: int, kind: str, **values: object) -> None:
        async with self._sessions.begin() as session:
            insert = _insert_for(session)
            await session.execute(
                insert(Chat)
                .values(id=chat_id, kind=kind, registered_at=datetime.now(UTC), **values)
                .on_conflict_do_update(index_elements=[Chat.id], set_=values)
            )


class DownloadRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self,
        *,
        user_id: int | None,
        chat_id: int | None,
        surface: Surface,
        platform: Platform,
        item_id: str,
        kind: MediaKind,
        cache_hit: bool,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                Download(
                    user_id=user_id, chat_id=chat_id, surface=surface, platform=platform,
                    item_id=item_id, kind=kind, cache_hit=cache_hit, created_at=datetime.now(UTC),
                )
            )


class MediaCacheRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, platform: Platform, item_id: str, variant: str) -> list[dict] | None:
        async with self._sessions() as session:
            entry = await session.get(MediaCacheEntry, (platform, item_id, variant))
            return entry.file_ids if entry else None

    async def put(self, platform: Platform, item_id: str, variant: str, file_ids: list[dict]) -> None:
        async with self._sessions.begin() as session:
            insert = _insert_for(session)
            await session.execute(
                insert(MediaCacheEntry)
                .values(platform=platform, item_id=item_id, variant=variant, file_ids=file_ids,
                        created_at=datetime.now(UTC))
                .on_conflict_do_update(
                    index_elements=[MediaCacheEntry.platform, MediaCacheEntry.item_id, MediaCacheEntry.variant],
                    set_={"file_ids": file_ids, "created_at": datetime.now(UTC)},
                )
            )

    async def drop(self, platform: Platform, item_id: str, variant: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(MediaCacheEntry).where(
                    MediaCacheEntry.platform == platform,
                    MediaCacheEntry.item_id == item_id,
                    MediaCacheEntry.variant == variant,
                )
            )


class Repositories:
    """The data layer's one face: handlers receive this and never see SQL."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.chats = ChatRepository(sessions)
        self.downloads = DownloadRepository(sessions)
        self.media_cache = MediaCacheRepository(sessions)
