"""The queue's partial index in urgency order, instead of the index on status

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00

The queue reads open tickets in urgency order. With an index on status alone, SQLite fetched every open ticket and
sorted them (80 ms for the first screen of a 100,000-ticket queue); this index holds only open tickets, in the
queue's order, so the first screen comes from its first entries (under a millisecond) and the years of closed
tickets of a team database are never read. The expression is `models.queue_order()`'s, written out here because a
migration must not change when the models do.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEXT_DEADLINE = (
    "CASE WHEN (owned_at IS NULL AND own_deadline IS NOT NULL AND (resolve_deadline IS NULL OR own_deadline < "
    "resolve_deadline)) THEN own_deadline ELSE resolve_deadline END"
)
_OPEN = "status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_third_party')"


def upgrade() -> None:
    # PostgreSQL wants each expression of an index in parentheses; SQLite takes them too.
    op.execute(
        f"CREATE INDEX ix_ticket_queue ON ticket (priority, ({_NEXT_DEADLINE} IS NULL), ({_NEXT_DEADLINE}), reference)"
        f" WHERE {_OPEN}"
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_status")


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_status", ["status"], unique=False)
    op.execute("DROP INDEX ix_ticket_queue")
