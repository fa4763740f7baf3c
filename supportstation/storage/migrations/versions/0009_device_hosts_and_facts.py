"""Hosts reached through a plugin's transport (switches, BMCs), and the facts collected from hosts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportstation.storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing hosts get empty values through the server defaults (the columns are NOT NULL, like the model's).
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_transport", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("device_options", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("facts_collected_at", supportstation.storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.drop_column("facts_collected_at")
        batch_op.drop_column("facts")
        batch_op.drop_column("device_options")
        batch_op.drop_column("device_transport")
