"""What was delivered and what failed, written for /stats."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import (
    Download,
    Failure,
    MediaKind,
    Platform,
    Surface,
)

log = logging.getLogger(__name__)


class DownloadRepository:
    """Deliveries are written in batches, at most FLUSH_DELAY seconds after they happen: a cache hit is a few
    milliseconds of work, and a transaction of its own would be most of them. flush() writes the rest at
    shutdown (and before /stats)."""

    FLUSH_DELAY = 0.5

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: list[Download] = []
        self._flusher: asyncio.Task[None] | None = None

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
        self._pending.append(Download(
            user_id=user_id, chat_id=chat_id, surface=surface, platform=platform, item_id=item_id, kind=kind,
            cache_hit=cache_hit, created_at=datetime.now(UTC),
        ))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.FLUSH_DELAY)
        try:
            await self.flush()
        except Exception:  # the database is down: the rows are lost, the deliveries are not
            log.exception("could not record %d deliveries", len(self._pending))

    async def flush(self) -> None:
        rows, self._pending = self._pending, []
        if rows:
            async with self._sessions.begin() as session:
                session.add_all(rows)


class FailureRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self, *, user_id: int | None, chat_id: int | None, surface: Surface, platform: Platform, reason: str,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(Failure(user_id=user_id, chat_id=chat_id, surface=surface, platform=platform,
                                reason=reason[:32], created_at=datetime.now(UTC)))
