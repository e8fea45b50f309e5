"""Database engine and migrations: SQLite by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from data.config import ConfigError
from data.logs import redact_credentials

MIGRATIONS = Path(__file__).with_name("migrations")
_ASYNC_DRIVERS = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def normalize_db_url(url: str) -> str:
    """Add the async driver to postgres://, postgresql:// and sqlite:// URLs; leave explicit drivers alone."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError("DB_URL: not a database URL (expected scheme://[user:password@]host/database)")
    return f"{_ASYNC_DRIVERS.get(scheme, scheme)}://{rest}"


def create_engine(url: str) -> AsyncEngine:
    try:
        normalized = normalize_db_url(url)
        # A ping before each checkout survives server restarts; SQLite is a file, nothing to ping.
        engine = create_async_engine(normalized, pool_pre_ping=not normalized.startswith("sqlite"))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"DB_URL: {redact_credentials(str(exc))}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    """WAL lets readers run beside the single writer; busy_timeout waits out short write locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def safe_url(engine: AsyncEngine) -> str:
    """The engine's URL with the password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


async def ensure_reachable(engine: AsyncEngine, timeout: float = 10.0) -> None:
    """Fail start-up with one clear line when the database cannot be reached."""
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect():
                pass
    except Exception as exc:  # noqa: BLE001 - any driver error means the same to the operator
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"DB_URL: cannot connect to {safe_url(engine)}: {reason}") from None


MIGRATION_LOCK = 0x7469_6B74_6F6B  # any constant the other replicas agree on


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head", *, downgrade: bool = False) -> None:
    """Apply (or revert to) a revision on the engine's database; start-up calls this with "head"."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # replicas starting together migrate one at a time
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await connection.run_sync(run)

