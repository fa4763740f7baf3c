"""Host login details from ssh_config and Ansible: user, ProxyJump chain, key files

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:12:40.518203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing hosts get empty values through the server defaults (the columns are NOT NULL, like the model's).
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login_user", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("proxy_jump", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("identity_files", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.drop_column("identity_files")
        batch_op.drop_column("proxy_jump")
        batch_op.drop_column("login_user")
