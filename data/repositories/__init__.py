"""Repositories: all SQL lives here, one module per table or concern. Each method is one short transaction of
its own, so a long download never holds a database transaction open."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data.repositories.bot_state import BotStateRepository
from data.repositories.broadcasts import BroadcastRepository
from data.repositories.chats import ChatRepository
from data.repositories.deliveries import DownloadRepository, FailureRepository
from data.repositories.media_cache import MediaCacheRepository
from data.repositories.stats import Stats, StatsRepository
from data.shared import LocalState, SharedState

__all__ = ["Repositories", "Stats"]


class Repositories:
    """The data layer's one face: handlers receive this and never see SQL."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], state: SharedState | None = None) -> None:
        self.chats = ChatRepository(sessions)
        self.downloads = DownloadRepository(sessions)
        self.media_cache = MediaCacheRepository(sessions, state or LocalState())
        self.failures = FailureRepository(sessions)
        self.stats = StatsRepository(sessions)
        self.broadcasts = BroadcastRepository(sessions)
        self.bot_state = BotStateRepository(sessions)
