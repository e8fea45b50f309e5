"""Deliveries and failures can happen in guest mode (a chat the bot is not in): the surface "guest".

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("downloads", "failures")
BEFORE = ("private", "group", "inline")


def _allow(values: tuple[str, ...]) -> None:
    """The surface CHECK constraint (named "surface", as sa.Enum names it) allows `values`."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:  # SQLite changes a constraint by copying the table
            batch.drop_constraint("surface", type_="check")
            batch.create_check_constraint("surface", sa.column("surface").in_(values))


def upgrade() -> None:
    _allow((*BEFORE, "guest"))


def downgrade() -> None:
    for table in TABLES:  # the guest rows are inline messages all the same
        op.execute(sa.text(f"UPDATE {table} SET surface = 'inline' WHERE surface = 'guest'"))  # noqa: S608 - constant
    _allow(BEFORE)
