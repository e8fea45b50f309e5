"""Repositories: all SQL lives here. Each method is one short transaction of its own, so a
long download never holds a database transaction open."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Result, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data import keys
from data.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Chat,
    Download,
    Failure,
    MediaCacheEntry,
    MediaKind,
    Platform,
    RecipientStatus,
    Surface,
)
from data.shared import LocalState, SharedState

log = logging.getLogger(__name__)


def _insert_for(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT on both SQLite and PostgreSQL."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _rows(result: Result[Any]) -> int:
    """How many rows an INSERT or UPDATE touched (a CursorResult's count; the generic Result hides it)."""
    return int(getattr(result, "rowcount", 0))


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
            if _rows(created):
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

    async def export(self) -> list[Chat]:
        """Every chat, oldest first (the /export CSV)."""
        async with self._sessions() as session:
            return list((await session.scalars(select(Chat).order_by(Chat.registered_at, Chat.id))).all())

    async def _upsert(self, chat_id: int, kind: str, **values: object) -> None:
        async with self._sessions.begin() as session:
            insert = _insert_for(session)
            await session.execute(
                insert(Chat)
                .values(id=chat_id, kind=kind, registered_at=datetime.now(UTC), **values)
                .on_conflict_do_update(index_elements=[Chat.id], set_=values)
            )


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


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    groups: int
    blocked: int
    downloads: dict[str, int]  # "24h", "7d", "30d", "all"
    by_platform: dict[str, int]
    by_kind: dict[str, int]
    cache_hit_ratio: float
    top_errors: list[tuple[str, int]]
    daily: list[tuple[date, int]]  # the last 14 days, oldest first, zeros included


class StatsRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def collect(self, now: datetime | None = None) -> Stats:
        now = now or datetime.now(UTC)
        async with self._sessions() as session:
            async def scalar(query: Any) -> int:
                return int((await session.scalar(query)) or 0)

            async def grouped(column: Any, *where: Any) -> dict[str, int]:
                rows = await session.execute(select(column, func.count()).where(*where).group_by(column))
                return {str(getattr(key, "value", key)): count for key, count in rows.all()}

            private, groups = Chat.kind == "private", Chat.kind.in_(("group", "supergroup"))
            periods = {"24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
            downloads = {name: await scalar(select(func.count()).select_from(Download)
                                            .where(Download.created_at >= now - delta))
                         for name, delta in periods.items()}
            downloads["all"] = await scalar(select(func.count()).select_from(Download))
            hits = await session.scalar(select(func.avg(case((Download.cache_hit, 1.0), else_=0.0))))
            errors = await session.execute(
                select(Failure.reason, func.count().label("n")).where(Failure.created_at >= now - periods["30d"])
                .group_by(Failure.reason).order_by(func.count().desc(), Failure.reason).limit(5))
            start = (now - timedelta(days=13)).date()
            day = func.date(Download.created_at)
            per_day = await session.execute(
                select(day, func.count()).where(Download.created_at >= datetime.combine(start, time.min, UTC))
                .group_by(day))
            counted = {_as_date(key): count for key, count in per_day.all()}
            return Stats(
                users=await scalar(select(func.count()).select_from(Chat).where(private)),
                groups=await scalar(select(func.count()).select_from(Chat).where(groups)),
                blocked=await scalar(select(func.count()).select_from(Chat).where(Chat.blocked_at.is_not(None))),
                downloads=downloads,
                by_platform=await grouped(Download.platform),
                by_kind=await grouped(Download.kind),
                cache_hit_ratio=float(hits or 0.0),
                top_errors=[(reason, count) for reason, count in errors.all()],
                daily=[(start + timedelta(days=i), counted.get(start + timedelta(days=i), 0)) for i in range(14)],
            )


def _as_date(value: object) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
            return _rows(result) == 1

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
            insert = _insert_for(session)
            result = await session.execute(
                insert(BroadcastRecipient)
                .values(broadcast_id=broadcast_id, chat_id=chat_id, status=RecipientStatus.SENDING)
                .on_conflict_do_nothing())
            return _rows(result) == 1

    async def finish(self, broadcast_id: int, chat_id: int, status: RecipientStatus) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.chat_id == chat_id)
                .values(status=status))

    async def release(self, broadcast_id: int, chat_id: int) -> None:
        """Un-claim a recipient whose send certainly did not happen (stopped before the request)."""
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


class MediaCacheRepository:
    """File ids by item: the database holds them for good, the shared state (memory, or Redis for several
    processes) indexes the recently used ones, so a cache hit does not wait for the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], state: SharedState) -> None:
        self._sessions = sessions
        self._state = state

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

    async def put(self, platform: Platform, item_id: str, variant: str, file_ids: list[dict[str, Any]]) -> None:
        """Indexed first: the requests waiting for this item look there the moment it is sent."""
        await self._state.put(keys.media_index(platform, item_id, variant), json.dumps(file_ids))
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
        await self._state.delete(keys.media_index(platform, item_id, variant))
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

    def __init__(self, sessions: async_sessionmaker[AsyncSession], state: SharedState | None = None) -> None:
        self.chats = ChatRepository(sessions)
        self.downloads = DownloadRepository(sessions)
        self.media_cache = MediaCacheRepository(sessions, state or LocalState())
        self.failures = FailureRepository(sessions)
        self.stats = StatsRepository(sessions)
        self.broadcasts = BroadcastRepository(sessions)
