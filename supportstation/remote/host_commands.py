"""`supportstation hosts list|import`: the inventory from the command line, on the same core as the hosts view.

Exit status of `hosts import`: 0 when every entry was imported (or was already there), 1 when some entries were
refused (the others are imported, unless --dry-run), 2 for a file that cannot be read or a wrong option.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from supportstation.i18n import _

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    from supportstation.remote.command_line import add_connection_options

    hosts = commands.add_parser("hosts", help=_("the hosts inventory: list, import, facts"))
    actions = hosts.add_subparsers(dest="hosts_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help=_("the hosts, by client and site"))
    listing.add_argument("--client", metavar="NAME", help=_("only this client's hosts"))
    listing.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    importing = actions.add_parser(
        "import",
        help=_("import hosts from ~/.ssh/config, an Ansible inventory (INI or YAML) or a CSV file"),
        description=_(
            "Each host is added, or updated when its client already has a host of that name. Entries that cannot "
            "be imported are reported with the reason and skipped; exit status 1 says some were."
        ),
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument(
        "--format",
        choices=("auto", "ssh-config", "ansible", "csv"),
        default="auto",
        help=_("the file's format (default: detected)"),
    )
    importing.add_argument("--client", metavar="NAME", default="", help=_("file the hosts under this client"))
    importing.add_argument("--site", metavar="NAME", default="", help=_("and under this site of the client"))
    importing.add_argument("--dry-run", action="store_true", help=_("report what would be done, write nothing"))
    importing.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    facts = actions.add_parser(
        "facts",
        help=_("read each host's facts (model, serial number, system version…) with the plugins' collectors"),
        description=_(
            "The collectors run like actions (recorded on the ticket given with --ticket, and in the audit log); the"
            " facts are kept on the host. Exit status 1 when a collector failed on some host."
        ),
    )
    facts.add_argument("targets", nargs="+", metavar="HOST")
    add_connection_options(facts)


def run(namespace: argparse.Namespace, database: Any) -> int:
    if namespace.hosts_command == "list":
        return list_hosts(namespace, database)
    return import_file(namespace, database)


def list_hosts(namespace: argparse.Namespace, database: Any) -> int:
    from supportstation.remote.inventory import load_hosts, system_label, transport_label

    with database.session() as session:
        rows = load_hosts(session, client=namespace.client)
    if namespace.json:
        records = [
            {
                "id": row.host_id, "name": row.name, "client": row.client, "site": row.site, "address": row.address,
                "port": row.port, "os_family": row.os_family, "vendor": row.vendor, "transport": row.transport,
                "tags": list(row.tags), "credential": row.credential or None, "login_user": row.login_user,
                "proxy_jump": row.proxy_jump, "notes": row.notes, "facts": row.facts,
                "facts_collected_at": row.facts_collected_at.isoformat() if row.facts_collected_at else None,
            }
            for row in rows
        ]  # fmt: skip
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    if not rows:
        if namespace.client:
            print(_("No hosts for the client {client}.").format(client=namespace.client))
        else:
            print(_("No hosts yet: add them in the window, or import them with `supportstation hosts import`."))
        return EXIT_OK
    headers = [_("Client"), _("Site"), _("Name"), _("Address"), _("System"), _("Transport"), _("Credential"), _("Tags")]
    table = [
        [row.client, row.site, row.name, row.endpoint, system_label(row.os_family, row.vendor),
         transport_label(row.transport), row.credential, ", ".join(row.tags)]
        for row in rows
    ]  # fmt: skip
    widths = [min(36, max(len(header), *(len(line[index]) for line in table))) for index, header in enumerate(headers)]
    for line in [headers, *table]:
        print("  ".join(cell[: widths[index]].ljust(widths[index]) for index, cell in enumerate(line)).rstrip())
    return EXIT_OK


def import_file(namespace: argparse.Namespace, database: Any) -> int:
    from supportstation.remote.host_import import import_hosts
    from supportstation.remote.host_sources import HostImportError

    try:
        plan = import_hosts(
            database, namespace.file, form=namespace.format, client=namespace.client, site=namespace.site,
            dry_run=namespace.dry_run,
        )  # fmt: skip
    except HostImportError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        print(_("Nothing was imported."), file=sys.stderr)
        return EXIT_USAGE
    if namespace.json:
        json.dump(plan.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print("\n".join(plan.report_lines()))
    return EXIT_REFUSED if plan.refused else EXIT_OK
