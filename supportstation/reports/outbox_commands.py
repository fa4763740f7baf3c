"""`supportstation outbox list` and `outbox send`: what waits to be e-mailed, and sending it now.

`send` is what a script or the engineer runs once the network is back; it sends every queued message whatever its
back-off, and exits with status 1 while anything is left unsent, so a script can try again later.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from supportstation.i18n import _

EXIT_OK, EXIT_UNSENT = 0, 1
SUBJECT_WIDTH = 40
ERROR_WIDTH = 60


def add_parser(commands: Any) -> None:
    outbox = commands.add_parser("outbox", help=_("e-mails waiting to be sent: list them, send them now"))
    verbs = outbox.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=_("show every message of the outbox, its state and its last error"))
    listing.add_argument("--json", action="store_true", help=_("print the messages as JSON"))
    verbs.add_parser(
        "send",
        help=_("send every queued message now, whatever its retry delay (exit status 1 if one is still unsent)"),
        description=_(
            "Held messages (refused by the server for a reason a retry will not fix) are not sent: correct the "
            "cause, then release them from the Outbox view. The mail server password comes from the vault."
        ),
    )


def run(
    namespace: argparse.Namespace,
    options: Any,
    app_paths: Any,
    database: Any,
    *,
    unlocked_vault: Callable[[Any], Any] | None = None,
) -> int:
    """`unlocked_vault(app_paths)`: the command line's vault opener (cli.py, which this module may not import),
    returning the unlocked vault, or None after printing why it cannot be opened."""
    from supportstation.reports.outbox import Outbox

    outbox = Outbox(database)
    if namespace.outbox_command == "list":
        return list_messages(outbox, as_json=namespace.json)
    return send_messages(outbox, app_paths, unlocked_vault or _plain_vault)


def list_messages(outbox: Any, *, as_json: bool) -> int:
    from supportstation.reports.outbox import state_label

    entries = outbox.list()
    if as_json:
        print(json.dumps([entry.to_dict() for entry in entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not entries:
        print(_("The outbox is empty."))
        return EXIT_OK
    headers = [_("id"), _("state"), _("attempts"), _("next attempt"), _("recipients"), _("subject"), _("last error")]
    rows = [
        [
            str(entry.id),
            state_label(entry.state),
            str(entry.attempts),
            _local(entry.next_attempt_at) if entry.state.value in ("queued", "sending") else "",
            ", ".join(entry.recipients),
            _shorten(entry.subject, SUBJECT_WIDTH),
            _shorten(entry.last_error, ERROR_WIDTH),
        ]
        for entry in entries
    ]
    print(_table(headers, rows))
    return EXIT_OK


def send_messages(outbox: Any, app_paths: Any, unlocked_vault: Callable[[Any], Any]) -> int:
    from supportstation import settings
    from supportstation.reports.mail import MailError
    from supportstation.vault import VaultError

    if not outbox.pending():
        print(_("No message waits to be sent."))
        return EXIT_OK
    mail_settings = settings.load(app_paths.settings_file).settings.mail
    try:
        outcomes = outbox.send_due(mail_settings, lambda: _password(unlocked_vault(app_paths)), force=True)
    except (MailError, VaultError) as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_UNSENT
    for outcome in outcomes:
        print(_describe(outcome))
    return EXIT_OK if all(outcome.sent for outcome in outcomes) else EXIT_UNSENT


def _password(vault: Any) -> str:
    from supportstation.reports.mail import MailSettingsError, password_from_vault

    if vault is None:  # the reason is printed already
        raise MailSettingsError(_("The vault holding the mail server password could not be opened."))
    return password_from_vault(vault)


def _plain_vault(app_paths: Any) -> Any:
    from supportstation.vault import open_vault

    vault = open_vault(app_paths)
    return None if vault.locked else vault


def _describe(outcome: Any) -> str:
    recipients = ", ".join(outcome.recipients)
    if outcome.sent:
        line = _("{id}: sent to {recipients} — {subject}").format(
            id=outcome.id, recipients=recipients, subject=outcome.subject
        )
        return line + (f" ({outcome.error})" if outcome.error else "")
    if not outcome.attempted:
        return _("{id}: not sent — {error}").format(id=outcome.id, error=outcome.error)
    if outcome.state.value == "held":
        return _("{id}: held, not retried until released — {error}").format(id=outcome.id, error=outcome.error)
    return _("{id}: not sent, next attempt {when} — {error}").format(
        id=outcome.id, when=_local(outcome.next_attempt_at), error=outcome.error
    )


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    header = "  ".join(cell.ljust(width) for cell, width in zip(headers, widths, strict=True)).rstrip()
    return "\n".join([header, "  ".join("-" * width for width in widths), *lines])
