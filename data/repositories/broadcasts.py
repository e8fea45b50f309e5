"""Broadcasts and their recipients: progress that survives a restart, nobody claimed twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Chat,
    RecipientStatus,
)
from data.repositories.sql import insert_for, touched_rows


class BroadcastRepository:
    """Broadcast progress lives in the database: a restart resumes where it stopped, and a recipient
    claimed once is never sent to again."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, admin_id: int, source_chat_id: int, source_message_id: int) -> int:
        async with self._sessions.begin() as session:
            broadcast = Broadcast(admin_id=admin_id, source_chat_id=source_chat_id,
                                  source_message_id=source_message_id, status=BroadcastStatus.DRAFT,
                                  created_at=datetime.now(UTC))
            session.add(broadcast)
            await session.flush()
            return broadcast.id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        async with self._sessions() as session:
            return await session.get(Broadcast, broadcast_id)

    async def set_status(self, broadcast_id: int, status: BroadcastStatus, *, only_from: BroadcastStatus) -> bool:
        """Move a broadcast on, only from the expected state (a second press does nothing)."""
        async with self._sessions.begin() as session:
            finished = datetime.now(UTC) if status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED) else None
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == only_from)
                .values(status=status, finished_at=finished))
            return touched_rows(result) == 1

    async def running(self) -> list[Broadcast]:
        async with self._sessions() as session:
            return list((await session.scalars(
                select(Broadcast).where(Broadcast.status == BroadcastStatus.RUNNING).order_by(Broadcast.id))).all())

    async def audience(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Chat)
                                              .where(Chat.blocked_at.is_(None))) or 0)

    async def next_recipients(self, broadcast_id: int, limit: int = 200) -> list[int]:
        """Chats that have not blocked the bot and were not claimed by this broadcast yet, in id order."""
        claimed = select(BroadcastRecipient.chat_id).where(BroadcastRecipient.broadcast_id == broadcast_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Chat.id).where(Chat.blocked_at.is_(None), Chat.id.not_in(claimed))
                .order_by(Chat.id).limit(limit))
            return list(rows.all())

    async def claim(self, broadcast_id: int, chat_id: int) -> bool:
        """Record that this chat is being sent to, before sending; False if someone already did."""
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            result = await session.execute(
                insert(BroadcastRecipient)
                .values(broadcast_id=broadcast_id, chat_id=chat_id, status=RecipientStatus.SENDING)
                .on_conflict_do_nothing())
            return touched_rows(result) == 1

    async def finish(self, broadcast_id: int, chat_id: int, status: RecipientStatus) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.chat_id == chat_id)
                .values(status=status))

    async def release(self, broadcast_id: int, chat_id: int) -> None:
        """Un-claim a recipient, for another try later (its copy failed for now, or was stopped mid-way)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.chat_id == chat_id))

    async def progress(self, broadcast_id: int) -> dict[str, int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(BroadcastRecipient.status, func.count())
                .where(BroadcastRecipient.broadcast_id == broadcast_id).group_by(BroadcastRecipient.status))
            return {str(getattr(status, "value", status)): count for status, count in rows.all()}
