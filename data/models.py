"""Tables: chats, downloads and the media cache."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, false, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Platform(enum.StrEnum):
    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"


class Surface(enum.StrEnum):
    """Where a delivery happened."""

    PRIVATE = "private"
    GROUP = "group"
    INLINE = "inline"
    GUEST = "guest"  # guest mode: an inline message posted into a chat the bot is not in


class MediaKind(enum.StrEnum):
    VIDEO = "video"
    IMAGES = "images"
    MUSIC = "music"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    """Stored as plain text with a CHECK constraint, identical on SQLite and PostgreSQL."""
    return Enum(
        kind, name=name, native_enum=False, create_constraint=True, length=16,
        values_callable=lambda members: [member.value for member in members],
    )


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Chat(Base):
    """A private chat (id = user id) or a group the bot is in, with its settings."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    file_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    slideshow_video: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    referral: Mapped[str | None] = mapped_column(String(64))
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Download(Base):
    """One delivery of one item to one user, for statistics."""

    __tablename__ = "downloads"
    __table_args__ = (Index("ix_downloads_created_at", "created_at"), Index("ix_downloads_chat_id", "chat_id"))

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    surface: Mapped[Surface] = mapped_column(_enum(Surface, "surface"))
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MediaKind] = mapped_column(_enum(MediaKind, "media_kind"))
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MediaCacheEntry(Base):
    """Telegram file ids of an item already uploaded, so it is never uploaded twice."""

    __tablename__ = "media_cache"

    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_ids: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Failure(Base):
    """A request that could not be delivered, with the pipeline's reason (for /stats)."""

    __tablename__ = "failures"
    __table_args__ = (Index("ix_failures_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    surface: Mapped[Surface] = mapped_column(_enum(Surface, "surface"))
    platform: Mapped[Platform] = mapped_column(_enum(Platform, "platform"))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"  # waiting for the admin's confirmation
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientStatus(enum.StrEnum):
    SENDING = "sending"  # claimed; if the process died here, the outcome is unknown and it is never resent
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


class Broadcast(Base):
    """An admin's message copied to every chat that has not blocked the bot."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[BroadcastStatus] = mapped_column(_enum(BroadcastStatus, "broadcast_status"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"

    broadcast_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True,
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[RecipientStatus] = mapped_column(_enum(RecipientStatus, "recipient_status"))


class BotState(Base):
    """A small fact every replica shares (e.g. the fingerprint of the webhook last set)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
