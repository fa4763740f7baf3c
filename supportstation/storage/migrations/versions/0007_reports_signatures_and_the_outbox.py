"""Reports, signatures and the outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:35:33.992351
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportstation.storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = supportstation.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("paper", sa.String(length=8), nullable=False),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("signed_at", _WHEN, nullable=True),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("timeline_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_report_intervention_id_intervention"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_report_ticket_id_ticket"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["timeline_event_id"],
            ["timeline_event.id"],
            name=op.f("fk_report_timeline_event_id_timeline_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("number", "revision", name=op.f("uq_report_number")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_data_sha256"), ["data_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_attempt_at", _WHEN, nullable=True),
        sa.Column("next_attempt_at", _WHEN, nullable=True),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("timeline_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_outbox_message_report_id_report"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_outbox_message_ticket_id_ticket"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["timeline_event_id"],
            ["timeline_event.id"],
            name=op.f("fk_outbox_message_timeline_event_id_timeline_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_message_id")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "report_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", _WHEN, nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=True),
        sa.Column("not_signed_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_signature_report_id_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_signature")),
        sa.UniqueConstraint("report_id", "role", name=op.f("uq_report_signature_report_id")),
    )
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_signature_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_signature_report_id"))

    op.drop_table("report_signature")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_state"))

    op.drop_table("outbox_message")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_report_state"))
        batch_op.drop_index(batch_op.f("ix_report_number"))
        batch_op.drop_index(batch_op.f("ix_report_data_sha256"))

    op.drop_table("report")
