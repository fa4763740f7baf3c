"""What the Report tab asks of the report service, one blocking call per user action, made in a worker thread.

Each call returns everything the tab shows afterwards (the report, its content and HTML, the page decor, the list of
revisions), so the GUI thread never reads the database itself. The service and the modules behind it (SQLAlchemy,
Jinja2, the procedure format) are imported on the first call, in the worker thread: the tab opens without a pause.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.settings import Settings

if TYPE_CHECKING:
    from email.message import EmailMessage

    from PySide6.QtPrintSupport import QPrinter

    from supportstation.reports.pdf import PageDecor
    from supportstation.reports.plugin_sections import ReportPlugins
    from supportstation.reports.report_mail import MailDraft
    from supportstation.reports.service import BuiltReport, ReportInfo, ReportService
    from supportstation.reports.signatures import Signature
    from supportstation.storage.database import Database


@dataclass(frozen=True)
class DraftFields:
    """The form as the engineer left it; `summary` is None while it is the one drafted from the timeline."""

    summary: str | None
    recommendations: str
    follow_up: str
    include_appendix: bool
    language: str
    template: str
    paper: str


@dataclass
class Shown:
    """One report as the tab shows it. `built` is None when it cannot be drawn (`problem` says why)."""

    info: ReportInfo
    built: BuiltReport | None
    decor: PageDecor | None
    revisions: list[ReportInfo]
    template_sets: list[str]
    problem: str = ""


@dataclass(frozen=True)
class Letter:
    """The e-mail of a report as the engineer left it in the dialog."""

    to: list[str]
    cc: list[str]
    subject: str
    body: str


def refusals() -> tuple[type[Exception], ...]:
    """What the service refuses with a message meant for the engineer (no intervention, signed, unknown template)."""
    from supportstation.reports.assembly import ReportError
    from supportstation.reports.mail import MailError
    from supportstation.reports.outbox_model import OutboxError
    from supportstation.reports.signatures import SignatureError
    from supportstation.reports.templates import TemplateSetError

    return (ReportError, TemplateSetError, SignatureError, MailError, OutboxError)


class ReportJobs:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        config_folder: Path,
        data_folder: Path,
        plugins: ReportPlugins | None = None,
    ) -> None:
        self.database = database
        self.plugins = plugins
        self.settings = settings
        self.config_folder = config_folder
        self.data_folder = data_folder
        self._service: ReportService | None = None
        self._lock = threading.Lock()  # two first calls in two worker threads make one service

    @property
    def service(self) -> ReportService:
        with self._lock:
            if self._service is None:
                from supportstation.remote.workbench import OUTPUTS_FOLDER
                from supportstation.reports.service import ReportService

                self._service = ReportService(
                    self.database, self.settings, self.config_folder, self.data_folder / OUTPUTS_FOLDER, self.plugins
                )
            return self._service

    def open(self, ticket_id: int) -> Shown:
        """The report of the ticket's latest intervention: its latest revision, or a new draft."""
        profile = self.settings.profile
        info = self.service.open_draft(ticket_id, author=profile.email)
        return self.show(info.id)

    def show(self, report_id: int) -> Shown:
        from supportstation.reports.templates import TemplateSetError, available_sets

        service = self.service
        info = service.get(report_id)
        revisions = service.reports_of(info.ticket_id)
        sets = available_sets(self.config_folder)
        try:
            built = service.build(report_id)
        except TemplateSetError as error:  # the set was removed from the config folder since it was chosen
            return Shown(info, None, None, revisions, sets, str(error))
        return Shown(built.info, built, service.decor(built), revisions, sets)

    def save(self, report_id: int, fields: DraftFields) -> Shown:
        from supportstation.reports.assembly import Edits

        edits = Edits(fields.summary, fields.recommendations, fields.follow_up, fields.include_appendix)
        self.service.update_draft(
            report_id, edits=edits, language=fields.language, template=fields.template, paper=fields.paper
        )
        return self.show(report_id)

    def sign(self, report_id: int, signatures: list[Signature]) -> Shown:
        from supportstation.tickets.engineers import ensure_engineer

        profile = self.settings.profile
        author_id = None
        if profile.is_complete:
            with self.database.session() as session:
                author_id = ensure_engineer(session, profile).id
        self.service.sign(report_id, list(signatures), author_id=author_id)
        return self.show(report_id)

    def new_revision(self, report_id: int) -> Shown:
        info = self.service.new_revision(report_id, author=self.settings.profile.email)
        return self.show(info.id)

    def write_pdf(self, report_id: int, path: Path) -> int:
        """Writes the PDF (a signed report's archived one, byte for byte); returns its size."""
        document = self.service.pdf(report_id)
        path.write_bytes(document)
        return len(document)

    # -- printing and e-mail ------------------------------------------------------------------------------------------

    def print_on(self, report_id: int, printer: QPrinter) -> int:
        """Prints the report on the printer the dialog set up; returns the number of pages. Raises PrintError."""
        from supportstation.reports.printing import print_report

        return print_report(self.service, report_id, printer)

    def mail_draft(self, report_id: int) -> MailDraft:
        from supportstation.reports.report_mail import draft_report_mail

        with self.database.session() as session:
            return draft_report_mail(session, report_id, self.settings, self.config_folder)

    def compose_mail(self, report_id: int, letter: Letter) -> EmailMessage:
        """The message as it will be sent. Raises AddressError (a recipient) or MailSettingsError (the sender)."""
        from supportstation.reports.report_mail import compose_report_mail

        with self.database.session() as session:
            composed = compose_report_mail(
                session,
                report_id,
                self.settings,
                self.config_folder,
                to=letter.to,
                cc=letter.cc,
                subject=letter.subject,
                body=letter.body,
            )
        return composed.message

    def queue_mail(self, report_id: int, letter: Letter) -> int:
        """Puts the message in the outbox, due at once; returns its outbox id."""
        from supportstation.reports.outbox import Outbox

        message = self.compose_mail(report_id, letter)
        ticket_id = self.service.get(report_id).ticket_id
        return Outbox(self.database).enqueue(message, ticket_id, report_id)

    def save_mail(self, report_id: int, letter: Letter, path: Path) -> int:
        """Writes the message as a .eml file, for another mail program (nothing is queued); returns its size."""
        from supportstation.reports.mail import save_eml

        save_eml(self.compose_mail(report_id, letter), path)
        return path.stat().st_size
