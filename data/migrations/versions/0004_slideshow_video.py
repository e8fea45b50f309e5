"""A chat's choice to get slideshows as one video with their sound (/mode).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chats", sa.Column("slideshow_video", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("slideshow_video")
