"""Intervention reports, their signatures, and the outbox of e-mails waiting to leave.

A report is kept per revision: a draft holds the engineer's edits; signing freezes it, storing the canonical data
(the JSON the verification hash is computed over), the PDF and both hashes. A change after signing is a new revision
with the same report number. An outbox message keeps the whole RFC 5322 message as it will be sent, so every retry
carries the same Message-ID and the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from supportstation.storage.models import Base
from supportstation.storage.types import UTCDateTime, utc_now


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("number", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(40), index=True)  # e.g. RI-2026-0042, shared by its revisions
    revision: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # draft | signed
    language: Mapped[str] = mapped_column(String(8), default="fr")
    template: Mapped[str] = mapped_column(String(100), default="default")
    paper: Mapped[str] = mapped_column(String(8), default="a4")  # a4 | letter
    # What the engineer wrote or changed: summary, recommendations, follow-up, appendix on/off.
    edits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Set when signed, never changed afterwards.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canonical: Mapped[str] = mapped_column(Text, default="")
    data_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    timeline_event_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_event.id", ondelete="SET NULL"))

    signatures: Mapped[list[ReportSignature]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportSignature.role"
    )


class ReportSignature(Base):
    __tablename__ = "report_signature"
    __table_args__ = (UniqueConstraint("report_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # customer | engineer
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # None when the signer could not sign
    not_signed_reason: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship(back_populates="signatures")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)  # with the angle brackets, as in the header
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)  # To and Cc together, the SMTP envelope
    subject: Mapped[str] = mapped_column(String(500), default="")
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))  # the message exactly as it is sent
    # queued: waits for its next attempt; sending: an attempt began (a crash leaves it here, it is sent again);
    # held: the server refused it for a reason a retry will not fix, waits for the engineer; sent: the server said 250.
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timeline_event_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_event.id", ondelete="SET NULL"))
