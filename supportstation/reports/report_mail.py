"""The e-mail of a signed report: its subject and body from the report's template set, in its language, its PDF
attached, its recipients suggested from the ticket's contact.

    composed = compose_report_mail(session, report_id, settings, app_paths.config, to=["jean@client.fr"])
    Outbox(database).enqueue(composed.message, ticket_id, report_id)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from supportstation.i18n import _
from supportstation.reports.mail import MailError, PdfAttachment, address_problem, compose
from supportstation.reports.templates import MAIL_BODY, MAIL_SUBJECT, ReportTemplates
from supportstation.settings import CompanyDetails, EngineerProfile, Settings
from supportstation.storage.models import Ticket
from supportstation.storage.report_models import Report


@dataclass(frozen=True)
class ReportMail:
    message: EmailMessage
    # A company template that failed (file, line, error): the shipped one was used instead.
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MailDraft:
    """What the e-mail dialog starts from: the suggested recipients and the texts from the templates."""

    to: list[str]
    subject: str
    body: str
    attachment_name: str
    attachment_size: int
    problems: list[str] = field(default_factory=list)


def draft_report_mail(session: Session, report_id: int, settings: Settings, config_folder: Path | None) -> MailDraft:
    """The subject, body and recipients the e-mail of a signed report would have, for the engineer to review."""
    report = _signed_report(session, report_id)
    subject, body, problems = _texts(session, report, settings, config_folder)
    return MailDraft(
        suggested_recipients(session, report_id),
        subject,
        body,
        pdf_file_name(report.number, report.revision),
        len(report.pdf or b""),
        problems,
    )


def compose_report_mail(
    session: Session,
    report_id: int,
    settings: Settings,
    config_folder: Path | None,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str | None = None,
    body: str | None = None,
    now: datetime | None = None,
) -> ReportMail:
    """The e-mail of a signed report: subject and body from its template set (or as the engineer edited them), in
    its language, the PDF attached.

    Raises MailError (no such report, not signed), AddressError (a bad recipient) or MailSettingsError (no valid
    sender address); a company template that fails is replaced by the shipped one and named in `problems`.
    """
    report = _signed_report(session, report_id)
    problems: list[str] = []
    if subject is None or body is None:
        drafted_subject, drafted_body, problems = _texts(session, report, settings, config_folder)
        subject = drafted_subject if subject is None else subject
        body = drafted_body if body is None else body
    message = compose(
        settings.mail,
        to=to,
        cc=cc,
        subject=subject,
        body=body,
        attachment=PdfAttachment(report.pdf or b"", pdf_file_name(report.number, report.revision)),
        now=now,
    )
    return ReportMail(message, problems)


def _signed_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise MailError(_("No report has the number {id}.").format(id=report_id))
    if report.state != "signed" or not report.pdf:
        raise MailError(
            _("Report {number} (revision {revision}) is not signed yet: sign it before e-mailing it.").format(
                number=report.number, revision=report.revision
            )
        )
    return report


def _texts(
    session: Session, report: Report, settings: Settings, config_folder: Path | None
) -> tuple[str, str, list[str]]:
    context = mail_context(session, report, settings.profile, settings.company)
    templates = ReportTemplates(config_folder, report.template, report.language)
    subject = templates.render(MAIL_SUBJECT, context)
    body = templates.render(MAIL_BODY, context)
    return subject.text, body.text, [problem for problem in (subject.problem, body.problem) if problem]


def pdf_file_name(number: str, revision: int) -> str:
    return f"{number}-r{revision}.pdf"


def suggested_recipients(session: Session, report_id: int) -> list[str]:
    """The ticket's contact, when the ticket has one with an address: who the report usually goes to."""
    report = session.get(Report, report_id)
    ticket = session.get(Ticket, report.ticket_id) if report is not None else None
    contact = ticket.contact if ticket is not None else None
    if contact is None or address_problem(contact.email.strip()) is not None:
        return []
    return [str(Address(display_name=contact.name, addr_spec=contact.email.strip()))]


def mail_context(session: Session, report: Report, profile: EngineerProfile, company: CompanyDetails) -> dict[str, Any]:
    """What the mail templates are given (see the comment atop `mail_body.txt.j2`). Every key is always present,
    empty when unknown: the templates run with StrictUndefined, so a missing one would fail every company template."""
    ticket = session.get(Ticket, report.ticket_id)
    if ticket is None:
        raise MailError(_("The ticket of report {number} no longer exists.").format(number=report.number))
    return {
        "report": {"number": report.number, "revision": report.revision},
        "ticket": {"reference": ticket.reference, "title": ticket.title},
        "client": {"name": ticket.client.name},
        "site": {"name": ticket.site.name if ticket.site is not None else ""},
        "contact": {"name": ticket.contact.name if ticket.contact is not None else ""},
        "engineer": {
            "name": profile.name,
            "email": profile.email,
            "phone": profile.phone,
            "signature_block": profile.signature_block,
        },
        "company": {"name": company.name},
        "signed_at": local_date(report.signed_at, report.language, ticket.client.time_zone),
    }


def local_date(moment: datetime | None, language: str, time_zone: str) -> str:
    """A date and time as the customer reads them: in the client's time zone, written the way of the language."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        local = moment.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = moment.astimezone()  # a zone this computer does not know: its own is the next best guess
    if language == "fr":
        return local.strftime("%d/%m/%Y à %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
