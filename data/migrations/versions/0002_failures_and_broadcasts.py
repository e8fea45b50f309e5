"""Failed requests (for /stats) and broadcasts with their recipients (so a broadcast resumes after a
restart without sending anyone a message twice).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "failures",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("surface", _enum("surface", "private", "group", "inline"), nullable=False),
        sa.Column("platform", _enum("platform", "tiktok", "instagram"), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_failures_created_at", "failures", ["created_at"])
    op.create_table(
        "broadcasts",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("status", _enum("broadcast_status", "draft", "running", "done", "cancelled"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sa.BigInteger(), sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), primary_key=True),
        sa.Column("status", _enum("recipient_status", "sending", "sent", "blocked", "failed"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("broadcast_recipients")
    op.drop_table("broadcasts")
    op.drop_index("ix_failures_created_at", table_name="failures")
    op.drop_table("failures")
