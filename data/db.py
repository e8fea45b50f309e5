"""Database engine and migrations: SQLite by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from asyncpg.exceptions import CannotConnectNowError
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from data.config import ConfigError
from data.logs import redact_credentials

MIGRATIONS = Path(__file__).with_name("migrations")
RECONNECT_PATIENCE = 60.0  # seconds new connections wait for a database server that went away to come back
log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
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
    else:
        event.listen(engine.sync_engine, "do_connect", PatientConnect())
    return engine


class PatientConnect:
    """A database server that went away (restarted, failed over, a network cut) is waited for: new connections
    are tried again with backoff for up to RECONNECT_PATIENCE, so the work that needs them pauses and goes on
    instead of failing. Before the first connection nothing is waited for: a wrong DB_URL fails at once."""

    def __init__(self) -> None:
        self._connected_once = False

    def __call__(self, dialect: Any, _record: object, cargs: Any, cparams: Any) -> Any:
        delay, waited = 0.25, 0.0
        while True:
            try:
                connection = dialect.connect(*cargs, **cparams)
            except Exception as exc:
                if not (self._connected_once and _server_away(exc)) or waited >= RECONNECT_PATIENCE:
                    raise
                log.warning("the database cannot be reached (%s); trying again in %.1f s", type(exc).__name__,
                            delay)
                await_only(asyncio.sleep(delay))  # the event loop goes on: this runs in SQLAlchemy's greenlet
                waited, delay = waited + delay, min(delay * 2, 2.0)
            else:
                self._connected_once = True
                return connection


def survives_restarts(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A repository method whose connection the server dropped (restarted, failed over) runs again once it is
    back, for up to RECONNECT_PATIENCE: the work that needs the database pauses instead of failing. Only for
    reads and idempotent writes (an upsert, a delete)."""

    @functools.wraps(method)
    async def patiently(*args: P.args, **kwargs: P.kwargs) -> R:
        delay, waited = 0.25, 0.0
        while True:
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                lost = (isinstance(exc, DBAPIError) and exc.connection_invalidated) or _server_away(exc)
                if not lost or waited >= RECONNECT_PATIENCE:
                    raise
                log.warning("%s: the database went away (%s); trying again in %.1f s", method.__qualname__,
                            type(exc).__name__, delay)
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 2.0)

    return patiently


def _server_away(error: BaseException | None) -> bool:
    """Refused, reset, or "the database system is starting up / shutting down", however the driver wraps it."""
    while error is not None:
        if isinstance(error, (OSError, CannotConnectNowError)):
            return True
        error = error.__cause__
    return False


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

