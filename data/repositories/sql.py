"""What every repository's SQL shares: an INSERT that knows ON CONFLICT on both databases, and row counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT on both SQLite and PostgreSQL."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def touched_rows(result: Result[Any]) -> int:
    """How many rows an INSERT or UPDATE touched (a CursorResult's count; the generic Result hides it)."""
    return int(getattr(result, "rowcount", 0))
