"""A ticket's reports: drafting, rendering, signing (which freezes a revision) and new revisions.

A draft is assembled afresh from the timeline each time it is shown, with the engineer's edits on top. Signing
assembles it one last time, adds the signatures, and stores the canonical data, the PDF and both hashes; from then on
the report is always shown from what was stored, never re-assembled. A change needs a new revision: a new draft with
the same number and the same edits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from supportstation.clock import utc_now
from supportstation.i18n import _, catalog
from supportstation.reports.assembly import Edits, ReportError, assemble, latest_intervention
from supportstation.reports.document import (
    ReportHtml,
    SignatureLike,
    canonical_bytes,
    render_html,
    report_hash,
    with_signatures,
)
from supportstation.reports.plugin_sections import ReportPlugins, add_plugin_contributions
from supportstation.reports.templates import ReportTemplates
from supportstation.settings import Settings
from supportstation.storage.database import Database
from supportstation.storage.models import Engineer, Ticket, TimelineEvent
from supportstation.storage.report_models import Report, ReportSignature
from supportstation.tickets import ticket_id_by_reference

NUMBER_PREFIX = "RI"
DATA_ATTACHMENT = "report-data.json"


def signature_attachment(role: str) -> str:
    return f"signature-{role}.png"


class ReportLocked(ReportError):
    """The report is signed: it cannot change; a new revision can."""


@dataclass
class ReportInfo:
    id: int
    ticket_id: int
    intervention_id: int | None
    number: str
    revision: int
    state: str
    language: str
    template: str
    paper: str
    edits: dict[str, Any]
    created_at: datetime
    signed_at: datetime | None
    data_sha256: str
    pdf_sha256: str
    signers: list[str] = field(default_factory=list)

    @property
    def signed(self) -> bool:
        return self.state == "signed"

    @property
    def file_name(self) -> str:
        return f"{self.number}-r{self.revision}.pdf"


@dataclass
class BuiltReport:
    info: ReportInfo
    content: dict[str, Any]
    drafted_summary: str
    html: ReportHtml
    verification: str | None
    problems: list[str]


def _info(report: Report) -> ReportInfo:
    return ReportInfo(
        id=report.id,
        ticket_id=report.ticket_id,
        intervention_id=report.intervention_id,
        number=report.number,
        revision=report.revision,
        state=report.state,
        language=report.language,
        template=report.template,
        paper=report.paper,
        edits=dict(report.edits or {}),
        created_at=report.created_at,
        signed_at=report.signed_at,
        data_sha256=report.data_sha256,
        pdf_sha256=report.pdf_sha256,
        signers=[signature.signer_name for signature in report.signatures],
    )


@dataclass
class StoredSignature:
    role: str
    signer_name: str
    signed_at: datetime
    image_png: bytes | None
    not_signed_reason: str


class ReportService:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        config_folder: Path | None,
        outputs_folder: Path | None,
        plugins: ReportPlugins | None = None,
    ) -> None:
        self.database = database
        self.plugins = plugins  # their sections (a config diff…) and action titles, added to each draft
        self.settings = settings
        self.config_folder = config_folder
        self.outputs_folder = outputs_folder

    # -- finding and creating --

    def reports_of(self, ticket_id: int) -> list[ReportInfo]:
        with self.database.session() as session:
            rows = session.scalars(
                select(Report).where(Report.ticket_id == ticket_id).order_by(Report.number, Report.revision)
            ).all()
            return [_info(row) for row in rows]

    def ticket_id(self, reference: str) -> int:
        with self.database.session() as session:
            ticket_id = ticket_id_by_reference(session, reference)
        if ticket_id is None:
            raise ReportError(_("There is no ticket with the reference {reference}.").format(reference=reference))
        return ticket_id

    def get(self, report_id: int) -> ReportInfo:
        with self.database.session() as session:
            return _info(self._row(session, report_id))

    def open_draft(
        self,
        ticket_id: int,
        *,
        intervention_id: int | None = None,
        language: str | None = None,
        author: str = "",
        now: datetime | None = None,
    ) -> ReportInfo:
        """The report of the intervention (its latest if none is named): its latest revision, or a new draft."""
        language = language or self.settings.profile.language or "fr"
        with self.database.session() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise ReportError(_("There is no ticket with this number."))
            intervention = latest_intervention(session, ticket) if intervention_id is None else None
            chosen = intervention_id or (intervention.id if intervention else None)
            if chosen is None:
                raise ReportError(
                    _("The ticket {reference} has no intervention to report on: start one first.").format(
                        reference=ticket.reference
                    )
                )
            existing = session.scalars(
                select(Report)
                .where(Report.ticket_id == ticket_id, Report.intervention_id == chosen)
                .order_by(Report.revision.desc(), Report.id.desc())
            ).first()
            if existing is not None:
                return _info(existing)
            moment = now or utc_now()
            report = Report(
                ticket_id=ticket_id,
                intervention_id=chosen,
                number=self._next_number(session, moment.year),
                revision=1,
                language=language,
                author=author,
                created_at=moment,
                edits=Edits().to_dict(),
            )
            session.add(report)
            session.flush()
            return _info(report)

    def _next_number(self, session: Any, year: int) -> str:
        prefix = f"{NUMBER_PREFIX}-{year}-"
        count = session.scalar(select(func.count(func.distinct(Report.number))).where(Report.number.like(f"{prefix}%")))
        return f"{prefix}{(count or 0) + 1:04d}"

    def update_draft(
        self,
        report_id: int,
        *,
        edits: Edits | None = None,
        language: str | None = None,
        template: str | None = None,
        paper: str | None = None,
    ) -> ReportInfo:
        with self.database.session() as session:
            report = self._row(session, report_id)
            self._refuse_if_signed(report)
            if edits is not None:
                report.edits = edits.to_dict()
            if language:
                report.language = language
            if template:
                report.template = template
            if paper:
                report.paper = paper
            session.flush()
            return _info(report)

    def new_revision(self, report_id: int, *, author: str = "") -> ReportInfo:
        """A new draft after a signed report, with the same number and the same edits to start from."""
        with self.database.session() as session:
            report = self._row(session, report_id)
            latest = session.scalar(select(func.max(Report.revision)).where(Report.number == report.number))
            revision = Report(
                ticket_id=report.ticket_id,
                intervention_id=report.intervention_id,
                number=report.number,
                revision=(latest or report.revision) + 1,
                language=report.language,
                template=report.template,
                paper=report.paper,
                edits=dict(report.edits or {}),
                author=author,
            )
            session.add(revision)
            session.flush()
            return _info(revision)

    # -- content and rendering --

    def build(
        self,
        report_id: int,
        *,
        now: datetime | None = None,
        language: str | None = None,
        template: str | None = None,
        paper: str | None = None,
    ) -> BuiltReport:
        """The report's content and HTML: a draft assembled now, a signed one exactly as it was signed. A draft can
        be built in another language, template or paper than its own without changing it (the command line does)."""
        with self.database.session() as session:
            report = self._row(session, report_id)
            info = _info(report)
            if report.state != "signed":
                info.language = language or info.language
                info.template = template or info.template
                info.paper = paper or info.paper
            templates = ReportTemplates(self.config_folder, info.template, info.language)
            if report.state == "signed":
                content = json.loads(report.canonical)
                images = {sig.role: sig.image_png for sig in report.signatures if sig.image_png}
                html = render_html(content, templates, images=images, draft=False, verification=report.data_sha256)
                return BuiltReport(info, content, content.get("summary", ""), html, report.data_sha256, _problems(html))
            data = assemble(
                session,
                report.ticket_id,
                intervention_id=report.intervention_id,
                number=report.number,
                revision=report.revision,
                language=info.language,
                company=self.settings.company,
                engineer=self.settings.profile,
                edits=Edits.from_dict(report.edits or {}),
                outputs_folder=self.outputs_folder,
                now=now,
            )
        data.content["company"]["logo_sha256"] = _logo_hash(self.settings.company.logo_file)
        add_plugin_contributions(data.content, self.plugins)
        html = render_html(data.content, templates, draft=True)
        return BuiltReport(info, data.content, data.drafted_summary, html, None, _problems(html))

    def pdf(self, report_id: int, *, now: datetime | None = None) -> bytes:
        """A signed report's archived PDF, byte for byte; a draft's, rendered now."""
        with self.database.session() as session:
            report = self._row(session, report_id)
            if report.state == "signed" and report.pdf:
                return bytes(report.pdf)
        return self.render_pdf(self.build(report_id, now=now))

    def render_pdf(self, built: BuiltReport, attachments: list[Any] | None = None) -> bytes:
        from supportstation.reports import pdf

        pdf.ensure_gui_application()
        return pdf.write_pdf(
            built.html.html,
            built.html.images,
            self.decor(built),
            paper=built.info.paper,
            title=self._title(built),
            author=str(built.content.get("engineer", {}).get("name", "")),
            attachments=attachments,
        )

    def decor(self, built: BuiltReport) -> Any:
        from supportstation.reports.pdf import PageDecor

        words = catalog(built.info.language)
        return PageDecor(
            company=self.settings.company.name,
            title=self._title(built),
            footer=self.settings.company.legal_footer,
            page_format=words.gettext("Page {page} of {pages}"),
            logo_png=_logo_bytes(self.settings.company.logo_file),
            verification=f"SHA-256 {built.verification[:16]}…" if built.verification else "",
        )

    def _title(self, built: BuiltReport) -> str:
        words = catalog(built.info.language)
        title = words.gettext("Intervention report {number}").format(number=built.info.number)
        if built.info.revision > 1:
            title += " " + words.gettext("rev. {revision}").format(revision=built.info.revision)
        return title

    # -- signing --

    def sign(
        self,
        report_id: int,
        signatures: list[SignatureLike],
        *,
        author_id: int | None = None,
        now: datetime | None = None,
    ) -> ReportInfo:
        """Freezes the report with its signatures: canonical data, hash and PDF stored, the timeline told."""
        from supportstation.reports.pdf import Attachment

        roles = [signature.role for signature in signatures]
        if sorted(roles) != ["customer", "engineer"]:
            raise ReportError(
                _("A report is signed by the customer and the engineer (or says why one could not sign).")
            )
        moment = now or utc_now()
        with self.database.session() as session:
            self._refuse_if_signed(self._row(session, report_id))
        built = self.build(report_id, now=moment)
        content = with_signatures(built.content, signatures)
        canonical = canonical_bytes(content)
        images = {signature.role: signature.image_png for signature in signatures if signature.image_png}
        digest = report_hash(canonical, images)
        templates = ReportTemplates(self.config_folder, built.info.template, built.info.language)
        signed = BuiltReport(
            built.info,
            content,
            built.drafted_summary,
            render_html(content, templates, images=images, draft=False, verification=digest),
            digest,
            built.problems,
        )
        attachments = [Attachment(DATA_ATTACHMENT, canonical, "application/json")]
        attachments += [Attachment(signature_attachment(role), png, "image/png") for role, png in images.items()]
        document = self.render_pdf(signed, attachments)
        with self.database.session() as session:
            report = self._row(session, report_id)
            self._refuse_if_signed(report)  # signed by another window while this one rendered
            report.state = "signed"
            report.signed_at = moment
            report.canonical = canonical.decode()
            report.data_sha256 = digest
            report.pdf = document
            report.pdf_sha256 = hashlib.sha256(document).hexdigest()
            for signature in signatures:
                report.signatures.append(
                    ReportSignature(
                        role=signature.role,
                        signer_name=signature.signer_name,
                        signed_at=signature.signed_at,
                        image_png=signature.image_png,
                        not_signed_reason=signature.not_signed_reason,
                    )
                )
            words = catalog(report.language)
            names = ", ".join(signature.signer_name for signature in signatures)
            event = TimelineEvent(
                ticket_id=report.ticket_id,
                intervention_id=report.intervention_id,
                created_at=moment,
                kind="report",
                author=session.get(Engineer, author_id) if author_id else None,
                summary=words.gettext("Report {number} rev. {revision} signed by {names}").format(
                    number=report.number, revision=report.revision, names=names
                )[:500],
                data={
                    "report_id": report.id,
                    "number": report.number,
                    "revision": report.revision,
                    "data_sha256": digest,
                    "pdf_sha256": report.pdf_sha256,
                },
            )
            session.add(event)
            session.flush()
            report.timeline_event_id = event.id
            return _info(report)

    def signatures(self, report_id: int) -> list[StoredSignature]:
        with self.database.session() as session:
            report = self._row(session, report_id)
            return [
                StoredSignature(s.role, s.signer_name, s.signed_at, s.image_png, s.not_signed_reason)
                for s in report.signatures
            ]

    # -- helpers --

    def _row(self, session: Any, report_id: int) -> Report:
        report = session.get(Report, report_id)
        if report is None:
            raise ReportError(_("There is no report with this number."))
        return report

    @staticmethod
    def _refuse_if_signed(report: Report) -> None:
        if report.state == "signed":
            raise ReportLocked(
                _("The report {number} rev. {revision} is signed and cannot change: make a new revision.").format(
                    number=report.number, revision=report.revision
                )
            )


def _problems(html: ReportHtml) -> list[str]:
    return [html.problem] if html.problem else []


def _logo_bytes(path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).expanduser().read_bytes()
    except OSError:
        return None


def _logo_hash(path: str) -> str:
    data = _logo_bytes(path)
    return hashlib.sha256(data).hexdigest() if data else ""
