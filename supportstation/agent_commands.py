"""`supportstation agent start|stop|status`: the start-up agent (agent.py), which commands also start by themselves."""

from __future__ import annotations

import argparse
import sys

from supportstation.agent import DEFAULT_IDLE_MINUTES
from supportstation.i18n import _


def add_parser(commands: argparse._SubParsersAction) -> None:
    agent = commands.add_parser(
        "agent",
        help=_("keep SupportStation loaded in the background, so that each command starts at once"),
        description=_(
            "The agent keeps SupportStation's modules loaded and starts each command from them: a command starts "
            "in milliseconds instead of about a second. A command typed in a terminal without it starts it in the "
            "background, unless the variable SUPPORTSTATION_NO_AGENT is set or the window's settings turn that off; "
            "scripts (no terminal) never do. It holds no password: "
            "each command unlocks the vault as it would alone. Only your user can reach it. It stops after the idle "
            "time, with `agent stop`, or when SupportStation's files change (an upgrade)."
        ),
    )
    actions = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    start = actions.add_parser("start", help=_("start the agent in the background"))
    idle = _("stop after this many minutes without a command (default: {minutes:g})")
    for parser in (start, serve := actions.add_parser("serve", help=argparse.SUPPRESS)):
        parser.add_argument(
            "--idle-minutes",
            type=float,
            default=DEFAULT_IDLE_MINUTES,
            metavar="MINUTES",
            help=idle.format(minutes=DEFAULT_IDLE_MINUTES),
        )
    serve.add_argument("--announce", action="store_true", help=argparse.SUPPRESS)
    actions.add_parser("stop", help=_("stop the agent (commands running finish first)"))
    actions.add_parser("status", help=_("say whether the agent runs (exit status 1 when it does not)"))


def run(namespace: argparse.Namespace) -> int:
    from supportstation import agent
    from supportstation.agent_client import ask, supported

    if not supported():
        print(_("The agent needs Linux; commands run without it here."), file=sys.stderr)
        return 1
    if namespace.agent_command == "serve":
        try:
            return agent.serve(idle_minutes=namespace.idle_minutes, announce=namespace.announce)
        except (agent.AgentError, OSError) as error:
            print(_("Error: {message}").format(message=error), file=sys.stderr)
            return 1
    if namespace.agent_command == "start":
        started = agent.start(namespace.idle_minutes)
        if started.pid is None:
            print(_("The agent could not start: {reason}").format(reason=started.problem), file=sys.stderr)
            return 1
        if started.already_running:
            print(_("The agent already runs (process {pid}).").format(pid=started.pid))
        else:
            print(
                _("The agent runs (process {pid}); it stops after {minutes:g} minutes without a command.").format(
                    pid=started.pid, minutes=namespace.idle_minutes
                )
            )
        return 0
    status = ask({"ping": True})
    if namespace.agent_command == "stop":
        if status is None or ask({"stop": True}) is None:
            print(_("No agent runs."))
            return 0
        agent.wait_until_stopped(int(status["pid"]))
        print(_("The agent stopped."))
        return 0
    if status is None:
        print(_("No agent runs: commands start on their own."))
        return 1
    print(
        _(
            "The agent runs (process {pid}, version {version}, socket {socket}); commands running: {running}, "
            "run since it started: {served}."
        ).format(
            pid=status["pid"],
            version=status["version"],
            socket=status["socket"],
            running=status["running"],
            served=status["served"],
        )
    )
    return 0
