"""Procedure runs and their step results

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:05:12.204117
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportstation.storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = supportstation.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "procedure_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("timeline_event_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.String(length=200), nullable=False),
        sa.Column("procedure_version", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("waiting_for", sa.JSON(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("runner", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_procedure_run_intervention_id_intervention"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_procedure_run_ticket_id_ticket"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["timeline_event_id"],
            ["timeline_event.id"],
            name=op.f("fk_procedure_run_timeline_event_id_timeline_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_run")),
    )
    with op.batch_alter_table("procedure_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedure_run_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_procedure_run_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "procedure_step_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("captured", sa.JSON(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("timeline_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["procedure_run.id"],
            name=op.f("fk_procedure_step_result_run_id_procedure_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["timeline_event_id"],
            ["timeline_event.id"],
            name=op.f("fk_procedure_step_result_timeline_event_id_timeline_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_step_result")),
    )
    with op.batch_alter_table("procedure_step_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedure_step_result_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("procedure_step_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_step_result_run_id"))
    op.drop_table("procedure_step_result")
    with op.batch_alter_table("procedure_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_run_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_procedure_run_state"))
    op.drop_table("procedure_run")
