"""Chats and their settings (language, file mode, blocked)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.db import survives_restarts
from data.models import (
    Chat,
)
from data.repositories.sql import insert_for, touched_rows


class ChatRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @survives_restarts
    async def get(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            return await session.get(Chat, chat_id)

    async def register(self, chat_id: int, kind: str, *, referral: str | None = None) -> bool:
        """Create the chat if it is new (keeping the referral of its first /start); True when created.
        A chat that comes back after blocking the bot is unblocked."""
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            created = await session.execute(
                insert(Chat)
                .values(id=chat_id, kind=kind, referral=referral, registered_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=[Chat.id])
            )
            if touched_rows(created):
                return True
            await session.execute(
                update(Chat).where(Chat.id == chat_id).values(kind=kind, blocked_at=None)
            )
            return False

    async def set_language(self, chat_id: int, kind: str, language: str) -> None:
        await self._upsert(chat_id, kind, language=language)

    async def set_file_mode(self, chat_id: int, kind: str, enabled: bool) -> None:
        await self._upsert(chat_id, kind, file_mode=enabled)

    async def set_slideshow_video(self, chat_id: int, kind: str, enabled: bool) -> None:
        await self._upsert(chat_id, kind, slideshow_video=enabled)

    @survives_restarts
    async def mark_blocked(self, chat_id: int, kind: str) -> None:
        await self._upsert(chat_id, kind, blocked_at=datetime.now(UTC))

    async def mark_unblocked(self, chat_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(Chat).where(Chat.id == chat_id).values(blocked_at=None))

    async def export(self) -> list[Chat]:
        """Every chat, oldest first (the /export CSV)."""
        async with self._sessions() as session:
            return list((await session.scalars(select(Chat).order_by(Chat.registered_at, Chat.id))).all())

    async def _upsert(self, chat_id: int, kind: str, **values: object) -> None:
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            await session.execute(
                insert(Chat)
                .values(id=chat_id, kind=kind, registered_at=datetime.now(UTC), **values)
                .on_conflict_do_update(index_elements=[Chat.id], set_=values)
            )
