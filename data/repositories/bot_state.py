"""Small facts every replica shares (data.models.BotState), by key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import BotState
from data.repositories.sql import insert_for


class BotStateRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, key: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(BotState, key)
            return row.value if row is not None else None

    async def put(self, key: str, value: str) -> None:
        async with self._sessions.begin() as session:
            now = datetime.now(UTC)
            await session.execute(
                insert_for(session)(BotState).values(key=key, value=value, updated_at=now)
                .on_conflict_do_update(index_elements=[BotState.key], set_={"value": value, "updated_at": now}))
