"""`supportstation tickets …`: the queue, a ticket, import and export, from the command line on the same core."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from supportstation.clock import utc_now
from supportstation.i18n import _, ngettext
from supportstation.tickets import no_such_ticket

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    tickets = commands.add_parser("tickets", help=_("the ticket queue: list, show, import, export"))
    actions = tickets.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help=_("open tickets, most urgent first, with their SLA state"))
    listing.add_argument("--all", action="store_true", help=_("include resolved and closed tickets"))
    listing.add_argument("--search", default="", help=_("only tickets matching these words"))
    listing.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    show = actions.add_parser("show", help=_("one ticket and its timeline"))
    show.add_argument("reference")
    show.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    importing = actions.add_parser("import", help=_("import tickets from a CSV or JSON file"))
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help=_("check every row and report, write nothing"))
    importing.add_argument(
        "--valid-only", action="store_true", help=_("import the valid rows and skip the others (default: all or none)")
    )
    importing.add_argument("--encoding", help=_("the file's encoding, when the guess is wrong (e.g. cp1252)"))
    importing.add_argument("--delimiter", help=_("the CSV separator, when the guess is wrong (e.g. ';')"))
    importing.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    exporting = actions.add_parser("export", help=_("export the queue, or one ticket's timeline, to CSV or JSON"))
    exporting.add_argument("--format", choices=("csv", "json"), default="csv")
    exporting.add_argument("--excel", action="store_true", help=_("CSV for Excel in French: UTF-8 with BOM and ';'"))
    exporting.add_argument("--all", action="store_true", help=_("include resolved and closed tickets"))
    exporting.add_argument("--timeline", metavar="REFERENCE", help=_("export this ticket's timeline instead"))
    exporting.add_argument("--output", "-o", type=Path, help=_("write to this file (default: standard output)"))


def run(namespace: argparse.Namespace, database: Any, profile_email: str = "") -> int:
    action = namespace.tickets_command
    if action == "list":
        return _list(database, namespace)
    if action == "show":
        return _show(database, namespace)
    if action == "import":
        return _import(database, namespace)
    return _export(database, namespace)


def _list(database: Any, namespace: argparse.Namespace) -> int:
    from supportstation.tickets.labels import deadline_text, sla_label, status_label
    from supportstation.tickets.queue import QueueFilter, load_queue, matching_indexes

    now = utc_now()
    with database.session() as session:
        rows = load_queue(session, include_closed=namespace.all)
    rows = [rows[i] for i in matching_indexes(rows, QueueFilter(text=namespace.search), now=now)]
    if namespace.json:
        records = [
            {
                "reference": row.reference,
                "title": row.title,
                "priority": row.priority,
                "status": row.status.value,
                "client": row.client,
                "site": row.site,
                "hosts": list(row.hosts),
                "assignee": row.assignee,
                "sla_state": row.sla_state(now).value,
                "deadline": (deadline.isoformat() if (deadline := row.clocks.next_deadline()) else None),
            }
            for row in rows
        ]
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    table = [
        [f"P{row.priority}", row.reference, sla_label(row.sla_state(now)), deadline_text(row.clocks, now),
         status_label(row.status), row.client, row.title]
        for row in rows
    ]  # fmt: skip
    headers = [_("Pri."), _("Reference"), _("SLA"), _("Due"), _("Status"), _("Client"), _("Title")]
    _print_table(headers, table)
    return EXIT_OK


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [min(40, max([len(h), *(len(r[i]) for r in rows)])) for i, h in enumerate(headers)]
    widths[-1] = max(len(headers[-1]), *(len(r[-1]) for r in rows)) if rows else len(headers[-1])
    for line in [headers, *rows]:
        print("  ".join(cell[: widths[i]].ljust(widths[i]) for i, cell in enumerate(line)).rstrip())


def _find_ticket_id(session: Any, reference: str) -> int | None:
    from supportstation.tickets import ticket_id_by_reference

    return ticket_id_by_reference(session, reference)


def _show(database: Any, namespace: argparse.Namespace) -> int:
    from supportstation.tickets.details import load_ticket_detail
    from supportstation.tickets.labels import COLLAPSED_LINES, deadline_text, kind_label, sla_label, status_label

    with database.session() as session:
        ticket_id = _find_ticket_id(session, namespace.reference)
        if ticket_id is None:
            print(_("Error: {message}").format(message=no_such_ticket(namespace.reference)), file=sys.stderr)
            return EXIT_USAGE
        detail = load_ticket_detail(session, ticket_id)
    now = utc_now()
    if namespace.json:
        document = {
            "reference": detail.reference,
            "title": detail.title,
            "status": detail.status.value,
            "priority": detail.priority,
            "client": detail.client,
            "site": detail.site,
            "sla_state": detail.clocks.state(now).value,
            "description": detail.description,
            "hosts": [host.name for host in detail.hosts],
            "timeline": [
                {"at": item.created_at.isoformat(), "kind": item.kind, "author": item.author,
                 "summary": item.summary, "body": item.body, "data": item.data}
                for item in detail.timeline
            ],
        }  # fmt: skip
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    print(f"{detail.reference} — {detail.title}")
    print(f"P{detail.priority} · {status_label(detail.status)} · {sla_label(detail.clocks.state(now))}, "
          f"{deadline_text(detail.clocks, now)}")  # fmt: skip
    print(f"{detail.client}" + (f" — {detail.site}" if detail.site else ""))
    if detail.hosts:
        print(_("Hosts: {hosts}").format(hosts=", ".join(host.name for host in detail.hosts)))
    if detail.description.strip():
        print()
        print(_indented(detail.description.strip()))
    print()
    for item in detail.timeline:
        when = item.created_at.astimezone().strftime("%d/%m/%Y %H:%M")
        author = f" ({item.author})" if item.author else ""
        entry = _("{kind}: {summary}").format(kind=kind_label(item.kind), summary=item.summary)
        print(f"{when}{author} {entry}")
        body = item.body.strip("\n")
        if body and body not in (item.summary, detail.description.strip()):  # the description is shown above
            lines = body.splitlines()
            print(_indented("\n".join(lines[:COLLAPSED_LINES])))
            if len(lines) > COLLAPSED_LINES:
                more = len(lines) - COLLAPSED_LINES
                hidden = ngettext(
                    "… {count} more line (--json shows all)", "… {count} more lines (--json shows all)", more
                )
                print(_indented(hidden.format(count=more)))
    return EXIT_OK


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def _import(database: Any, namespace: argparse.Namespace) -> int:
    from supportstation.tickets.csv_reading import ImportFileError
    from supportstation.tickets.importing import ImportMode, import_tickets

    mode = ImportMode.VALID_ONLY if namespace.valid_only else ImportMode.ALL_OR_NOTHING
    try:
        with database.session() as session:
            report = import_tickets(
                session, namespace.file, mode=mode, dry_run=namespace.dry_run, encoding=namespace.encoding,
                delimiter=namespace.delimiter,
            )  # fmt: skip
    except ImportFileError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    if namespace.json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    else:
        print(report.summary())
    # A refused all-or-nothing import is a failure for scripts; a dry run with problems is one too.
    return EXIT_ERROR if report.invalid and (mode is ImportMode.ALL_OR_NOTHING or namespace.dry_run) else EXIT_OK


def _export(database: Any, namespace: argparse.Namespace) -> int:
    from supportstation.tickets import exporting

    output = namespace.output or sys.stdout
    style = exporting.CsvStyle.EXCEL_FR if namespace.excel else exporting.CsvStyle.PLAIN
    with database.session() as session:
        if namespace.timeline:
            ticket_id = _find_ticket_id(session, namespace.timeline)
            if ticket_id is None:
                print(_("Error: {message}").format(message=no_such_ticket(namespace.timeline)), file=sys.stderr)
                return EXIT_USAGE
            if namespace.format == "json":
                count = exporting.export_timeline_json(session, ticket_id, output)
            else:
                count = exporting.export_timeline_csv(session, ticket_id, output, style=style)
        elif namespace.format == "json":
            count = exporting.export_queue_json(session, output, include_closed=namespace.all)
        else:
            count = exporting.export_queue_csv(session, output, style=style, include_closed=namespace.all)
    if namespace.output:
        print(_("{count} rows written to {path}.").format(count=count, path=namespace.output))
    return EXIT_OK
