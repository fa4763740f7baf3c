"""`supportstation reports render|verify`: a ticket's report as PDF without a window, and checking a signed PDF."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from supportstation import paths, settings
from supportstation.i18n import _

EXIT_OK, EXIT_ERROR, EXIT_NOT_AUTHENTIC = 0, 1, 1


def add_parser(commands: Any) -> None:
    reports = commands.add_parser("reports", help=_("intervention reports: render to PDF, verify a signed PDF"))
    verbs = reports.add_subparsers(dest="reports_command", metavar="ACTION", required=True)
    render = verbs.add_parser(
        "render",
        help=_("write the report of a ticket's latest intervention as PDF (in the language of --lang)"),
        description=_(
            "A signed report is written exactly as it was signed (its archived PDF); a draft is rendered from the "
            "ticket's timeline as it is now, marked as a draft."
        ),
    )
    render.add_argument("ticket", metavar="TICKET", help=_("the ticket's reference"))
    render.add_argument("--pdf", type=Path, required=True, metavar="OUT.pdf", help=_("the PDF file to write"))
    render.add_argument("--template", metavar="NAME", help=_("a template set from the config folder"))
    render.add_argument("--paper", choices=("a4", "letter"), help=_("paper size (default: the report's, A4)"))
    verify = verbs.add_parser(
        "verify",
        help=_("check that a report PDF is the one that was signed (exit status 1 if not)"),
    )
    verify.add_argument("file", type=Path, metavar="FILE.pdf")
    verify.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def run(namespace: Any, options: Any, app_paths: paths.AppPaths, database: Any) -> int:
    if namespace.reports_command == "verify":
        return _verify(namespace, database)
    return _render(namespace, options, app_paths, database)


def _render(namespace: Any, options: Any, app_paths: paths.AppPaths, database: Any) -> int:
    from supportstation.remote.commands import plugin_registry
    from supportstation.remote.workbench import OUTPUTS_FOLDER
    from supportstation.reports.assembly import ReportError
    from supportstation.reports.service import ReportService
    from supportstation.reports.templates import TemplateSetError

    loaded = settings.load(app_paths.settings_file).settings
    registry = plugin_registry()  # for the plugins' report sections (a switch's config diff…) and action titles
    service = ReportService(database, loaded, app_paths.config, app_paths.data / OUTPUTS_FOLDER, plugins=registry)
    language = options.lang or loaded.profile.language or "fr"
    try:
        ticket_id = service.ticket_id(namespace.ticket)
        info = service.open_draft(ticket_id, language=language, author=loaded.profile.email)
        if info.signed:
            if namespace.template or namespace.paper:
                print(_("The report is signed: it is written as it was signed."), file=sys.stderr)
            document = service.pdf(info.id)
        else:
            built = service.build(info.id, language=language, template=namespace.template, paper=namespace.paper)
            for problem in built.problems:
                print(_("Warning: {message}").format(message=problem), file=sys.stderr)
            document = service.render_pdf(built)
    except (ReportError, TemplateSetError) as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    try:
        namespace.pdf.write_bytes(document)
    except OSError as error:
        print(_("Error: the PDF could not be written to {path}: {error}").format(path=namespace.pdf, error=error))
        return EXIT_ERROR
    state = _("signed") if info.signed else _("draft")
    print(
        _("{number} rev. {revision} ({state}) written to {path}").format(
            number=info.number, revision=info.revision, state=state, path=namespace.pdf
        )
    )
    return EXIT_OK


def _verify(namespace: Any, database: Any) -> int:
    from supportstation.reports.verify import Verdict, verify_pdf

    try:
        document = namespace.file.read_bytes()
    except OSError as error:
        print(_("Error: {path} could not be read: {error}").format(path=namespace.file, error=error), file=sys.stderr)
        return EXIT_ERROR
    result = verify_pdf(document, database)
    if namespace.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.message)
    return EXIT_OK if result.verdict is Verdict.AUTHENTIC else EXIT_NOT_AUTHENTIC
