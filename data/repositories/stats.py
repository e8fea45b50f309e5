"""The figures of /stats, in a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.models import (
    Chat,
    Download,
    Failure,
)


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
