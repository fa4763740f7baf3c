"""The command line of the remote commands: `run`, `actions`, `files`, and the connection options they share.

Kept apart from `remote.commands` so that building the parser imports neither paramiko nor the database.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from supportstation.i18n import _


def private_key_file(text: str) -> Path:
    """An --identity FILE that can be used: checked before the vault opens and before any host is reached."""
    from supportstation.remote.ssh_auth import private_key_file_problem

    path = Path(text).expanduser()
    problem = private_key_file_problem(path)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return path


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a number of seconds").format(text=text)) from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(_("{text}: give a number of seconds above 0").format(text=text))
    return value


def positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a whole number").format(text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("{text}: give a number of 1 or more").format(text=text))
    return value


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reaches a host shares."""
    group = parser.add_argument_group(_("connection"))
    group.add_argument(
        "-i",
        "--identity",
        type=private_key_file,
        action="append",
        default=[],
        metavar="FILE",
        help=_("private key file to log in with (may be repeated)"),
    )
    group.add_argument(
        "--password-env",
        metavar="VAR",
        help=_("take the login password (or the key's passphrase) from this environment variable"),
    )
    group.add_argument(
        "--accept-new-host-key",
        action="store_true",
        help=_("learn unknown host keys (changed keys are still refused), like ssh's accept-new"),
    )
    group.add_argument(
        "--timeout", type=positive_seconds, metavar="SECONDS", help=_("stop the command after this long")
    )
    group.add_argument(
        "--connect-timeout",
        type=positive_seconds,
        default=15.0,
        metavar="SECONDS",
        help=_("give up connecting after this long (default: 15)"),
    )
    group.add_argument("-J", "--jump", metavar="HOSTS", help=_("jump hosts, as ssh -J: user@host:port[,…]"))
    group.add_argument("--ssh-config", type=Path, metavar="FILE", help=_("read this file instead of ~/.ssh/config"))
    group.add_argument("--json", action="store_true", help=_("print one JSON object per target instead of the output"))
    group.add_argument("--ticket", metavar="REFERENCE", help=_("record the run on this ticket's timeline"))
    group.add_argument(
        "--limit", type=positive_count, default=10, metavar="N", help=_("at most N targets at once (default: 10)")
    )
    windows = parser.add_argument_group(_("WinRM (winrm+https:// and winrm+http:// targets)"))
    windows.add_argument(
        "--shell", choices=("powershell", "cmd"), help=_("the language of the command (default: powershell)")
    )
    windows.add_argument(
        "--auth",
        choices=("ntlm", "kerberos", "credssp", "basic"),
        help=_("how to log in (default: ntlm; basic only over HTTPS)"),
    )
    windows.add_argument("--ca-file", type=Path, metavar="FILE", help=_("verify the host's certificate with this CA"))
    windows.add_argument(
        "--cert-fingerprint",
        metavar="SHA256",
        help=_("trust exactly the certificate with this SHA-256 fingerprint (pinning)"),
    )


def add_parsers(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        usage=_("%(prog)s [options] TARGET [TARGET …] -- COMMAND"),
        help=_("run a command on one or more hosts over SSH or WinRM: run TARGET… -- COMMAND"),
        description=_(
            "A target is ssh://user@host:port, winrm+https://user@host:5986, winrm+http://user@host:5985, a host "
            "of the inventory, or a Host of ~/.ssh/config."
        ),
    )
    run.add_argument("targets", nargs="+", metavar="TARGET")
    run.add_argument("--sudo", action="store_true", help=_("run the command as root through sudo"))
    run.add_argument("--pty", action="store_true", help=_("give the command a terminal"))
    run.add_argument(
        "-n",
        "--no-stdin",
        action="store_true",
        help=_(
            "do not send this command's standard input to the remote command (as ssh -n). Without it, input piped "
            "or redirected to this command is read whole (at most 64 MiB) and sent to every target; from a "
            "terminal, with --pty or with --sudo, the remote command gets none"
        ),
    )
    add_connection_options(run)
    actions = commands.add_parser("actions", help=_("remote actions contributed by plugins: list, run"))
    verbs = actions.add_subparsers(dest="actions_command", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=_("the actions available, by category"))
    listing.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    listing.add_argument("--host", metavar="HOST", help=_("only the actions for this host of the inventory"))
    running = verbs.add_parser("run", help=_("run an action on one or more hosts: actions run ACTION TARGET…"))
    running.add_argument("action", metavar="ACTION")
    running.add_argument("targets", nargs="+", metavar="TARGET")
    running.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=_("a parameter of the action (may be repeated)"),
    )
    running.add_argument("--raw", action="store_true", help=_("print the raw output instead of the parsed table"))
    running.add_argument(
        "--yes", action="store_true", help=_("answer yes to the action's question (a power cycle, a VLAN change…)")
    )
    add_connection_options(running)
    files = commands.add_parser(
        "files", help=_("copy files to or from a host (SFTP, or PowerShell over WinRM): upload, download")
    )
    directions = files.add_subparsers(dest="files_command", metavar="ACTION", required=True)
    up = directions.add_parser("upload", help=_("files upload TARGET LOCAL_FILE REMOTE_PATH"))
    up.add_argument("target", metavar="TARGET")
    up.add_argument("local", type=Path, metavar="LOCAL_FILE")
    up.add_argument("remote", metavar="REMOTE_PATH")
    add_connection_options(up)
    down = directions.add_parser("download", help=_("files download TARGET REMOTE_PATH LOCAL_FILE"))
    down.add_argument("target", metavar="TARGET")
    down.add_argument("remote", metavar="REMOTE_PATH")
    down.add_argument("local", type=Path, metavar="LOCAL_FILE")
    down.add_argument("--attach", action="store_true", help=_("attach the downloaded file to the --ticket"))
    add_connection_options(down)
    winrm = commands.add_parser("winrm", help=_("Windows hosts over WinRM: diagnose"))
    winrm_verbs = winrm.add_subparsers(dest="winrm_command", metavar="ACTION", required=True)
    diagnose = winrm_verbs.add_parser(
        "diagnose",
        help=_("check step by step why a WinRM connection fails, and say how to fix it"),
        description=_(
            "Name resolution, TCP port, TLS certificate, the authentication schemes the host offers, then the login "
            "(only once the certificate is trusted). Exit status 0 when every step passed, 1 otherwise."
        ),
    )
    diagnose.add_argument("target", metavar="TARGET")
    add_connection_options(diagnose)


def split_remote_command(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """`run A B -- ls -l "x y"`: argparse sees what precedes `--`; the rest is the command, joined as ssh joins it."""
    items = list(argv)
    if "run" not in items or "--" not in items[items.index("run") :]:
        return items, None
    separator = items.index("--", items.index("run"))
    return items[:separator], " ".join(items[separator + 1 :])


def early_names(namespace: argparse.Namespace) -> list[str]:
    """The names of the hosts whose key exchanges may start before the vault opens (`remote.handshakes`): the first
    --limit, the fan-out's own pace, unless a jump host is on the way (its login comes first)."""
    names = getattr(namespace, "targets", None)
    if not names or getattr(namespace, "jump", None):
        return []
    return list(names[: max(1, namespace.limit)])
