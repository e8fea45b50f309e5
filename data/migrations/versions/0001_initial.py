"""Chats, downloads and the media cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("file_mode", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("referral", sa.String(64), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "downloads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("surface", _enum("surface", "private", "group", "inline"), nullable=False),
        sa.Column("platform", _enum("platform", "tiktok", "instagram"), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("kind", _enum("media_kind", "video", "images", "music"), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_downloads_created_at", "downloads", ["created_at"])
    op.create_index("ix_downloads_chat_id", "downloads", ["chat_id"])
    op.create_table(
        "media_cache",
        sa.Column("platform", _enum("platform", "tiktok", "instagram"), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("variant", sa.String(32), primary_key=True),
        sa.Column("file_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("media_cache")
    op.drop_index("ix_downloads_chat_id", table_name="downloads")
    op.drop_index("ix_downloads_created_at", table_name="downloads")
    op.drop_table("downloads")
    op.drop_table("chats")
