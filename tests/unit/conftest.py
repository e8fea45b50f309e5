"""Fixtures the unit tests share: a migrated SQLite database's repositories, and the real aiogram Bot on the
fake Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from data import Repositories, create_engine, migrate, session_factory


@pytest.fixture
async def repositories(tmp_path: Path) -> AsyncIterator[Repositories]:
    engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    await migrate(engine)
    try:
        yield Repositories(session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def bot(telegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    bot = Bot(telegram.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield bot
    finally:
        await bot.session.close()
