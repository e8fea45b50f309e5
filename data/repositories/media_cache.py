"""Telegram file ids of items already uploaded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data import keys
from data.db import survives_restarts
from data.models import (
    MediaCacheEntry,
    Platform,
)
from data.repositories.sql import insert_for
from data.shared import SharedState


class MediaCacheRepository:
    """File ids by item: the database holds them for good, the shared state (memory, or Redis for several
    processes) indexes the recently used ones, so a cache hit does not wait for the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], state: SharedState) -> None:
        self._sessions = sessions
        self._state = state

    @survives_restarts
    async def get(self, platform: Platform, item_id: str, variant: str) -> list[dict[str, Any]] | None:
        if (indexed := await self._state.get(keys.media_index(platform, item_id, variant))) is not None:
            entries: list[dict[str, Any]] = json.loads(indexed)
            return entries
        async with self._sessions() as session:
            entry = await session.get(MediaCacheEntry, (platform, item_id, variant))
        if entry is None:
            return None
        await self._state.put(keys.media_index(platform, item_id, variant), json.dumps(entry.file_ids))
        return entry.file_ids

    @survives_restarts
    async def put(self, platform: Platform, item_id: str, variant: str, file_ids: list[dict[str, Any]]) -> None:
        """Indexed first: the requests waiting for this item look there the moment it is sent."""
        await self._state.put(keys.media_index(platform, item_id, variant), json.dumps(file_ids))
        async with self._sessions.begin() as session:
            insert = insert_for(session)
            await session.execute(
                insert(MediaCacheEntry)
                .values(platform=platform, item_id=item_id, variant=variant, file_ids=file_ids,
                        created_at=datetime.now(UTC))
                .on_conflict_do_update(
                    index_elements=[MediaCacheEntry.platform, MediaCacheEntry.item_id, MediaCacheEntry.variant],
                    set_={"file_ids": file_ids, "created_at": datetime.now(UTC)},
                )
            )

    @survives_restarts
    async def drop(self, platform: Platform, item_id: str, variant: str) -> None:
        await self._state.delete(keys.media_index(platform, item_id, variant))
        async with self._sessions.begin() as session:
            await session.execute(
                delete(MediaCacheEntry).where(
                    MediaCacheEntry.platform == platform,
                    MediaCacheEntry.item_id == item_id,
                    MediaCacheEntry.variant == variant,
                )
            )
