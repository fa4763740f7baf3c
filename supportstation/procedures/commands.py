"""`supportstation procedures validate` and `preview`: check procedure files, and show the exact commands a procedure
would run on a host, quoted for its shell, before anything runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from supportstation.i18n import _, current

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    procedures = commands.add_parser("procedures", help=_("procedures (runbooks): validate, preview, run, resume"))
    verbs = procedures.add_subparsers(dest="procedures_command", metavar="ACTION", required=True)
    validate = verbs.add_parser(
        "validate", help=_("check procedure files; each problem with its file, line and field (exit status 1)")
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help=_("print the problems as JSON"))
    preview = verbs.add_parser("preview", help=_("show the exact commands a procedure would run on a host"))
    preview.add_argument("file", type=Path, metavar="FILE")
    where = preview.add_mutually_exclusive_group()
    where.add_argument("--target", metavar="TARGET", help=_("the host, as for run: its shell decides the commands"))
    where.add_argument("--shell", choices=("sh", "powershell", "cmd"), help=_("the shell, without naming a host"))
    preview.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=_("a parameter (may be repeated)")
    )
    preview.add_argument("--json", action="store_true", help=_("print the steps as JSON"))
    from supportstation.remote.command_line import add_connection_options

    run = verbs.add_parser(
        "run",
        help=_("run a procedure on hosts, without questions: steps that need an answer stop the run cleanly"),
        description=_(
            "FILE is a procedure file or the id of a procedure of the library. A step that needs the engineer "
            "(an instruction, a prompt, a consent) takes its answer from --yes and --answer; without one the run "
            "stops and waits, and `procedures resume RUN_ID` continues it. Exit status: 0 when every step passed, "
            "1 when a step failed, 3 when the run waits for an answer, 2 for a usage error."
        ),
    )
    run.add_argument("file", metavar="FILE|ID")
    run.add_argument(
        "--target", action="append", default=[], required=True, metavar="TARGET", help=_("a host (may be repeated)")
    )
    run.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=_("a parameter (may be repeated)")
    )
    _answer_options(run)
    add_connection_options(run)
    resume = verbs.add_parser(
        "resume", help=_("continue a procedure run that waits, failed, paused or was interrupted")
    )
    resume.add_argument("run_id", type=int, metavar="RUN_ID")
    decision = resume.add_mutually_exclusive_group()
    decision.add_argument("--retry", action="store_true", help=_("run the failed or interrupted step again"))
    decision.add_argument("--skip", metavar="REASON", help=_("skip the step the run waits on, for this reason"))
    decision.add_argument("--abort", metavar="REASON", help=_("end the run for good, for this reason"))
    _answer_options(resume)
    add_connection_options(resume)
    runs = verbs.add_parser("runs", help=_("list procedure runs that can go on (or every run of a ticket)"))
    runs.add_argument("--ticket", metavar="REFERENCE", help=_("the runs of this ticket, finished ones too"))
    runs.add_argument("--json", action="store_true", help=_("print the runs as JSON"))


def _answer_options(parser: Any) -> None:
    parser.add_argument("--yes", action="store_true", help=_("acknowledge the instructions"))
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="STEP=VALUE",
        help=_("the answer to a prompt step, or for a consent step NAME,INITIALS of the person who agrees"),
    )


def validate(namespace: argparse.Namespace) -> int:
    from supportstation.procedures.files import Problem, ProcedureError, load

    problems: list[Problem] = []
    valid = []
    for path in namespace.files:
        try:
            document = load(path)
        except ProcedureError as error:
            problems += error.problems
        else:
            valid.append((path, document.procedure.id))
    if namespace.json:
        rows = [{"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in problems]
        print(json.dumps({"valid": [str(path) for path, _id in valid], "problems": rows}, ensure_ascii=False, indent=2))
    else:
        for path, procedure_id in valid:
            print(_("{file}: valid ({id})").format(file=path, id=procedure_id))
        for problem in problems:
            print(str(problem), file=sys.stderr)
    return EXIT_INVALID if problems else EXIT_OK


def preview(namespace: argparse.Namespace, database: Any | None) -> int:
    from supportstation.plugin_api.actions import ParameterError
    from supportstation.procedures.files import ProcedureError, load
    from supportstation.procedures.templates import TemplateError, preview, resolve_parameters

    try:
        procedure = load(namespace.file).procedure
    except ProcedureError as error:
        print(str(error), file=sys.stderr)
        return EXIT_INVALID
    given = {}
    for item in namespace.param:
        name, equals, value = item.partition("=")
        if not equals:
            print(_("Error: --param takes NAME=VALUE, not {item!r}.").format(item=item), file=sys.stderr)
            return EXIT_USAGE
        given[name.strip()] = value
    shells = _shells(namespace, database)
    if shells is None:
        return EXIT_USAGE
    try:
        values = resolve_parameters(procedure, given)
        lines = preview(procedure, values, shells, language=current())
    except (ParameterError, TemplateError) as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE
    if namespace.json:
        rows = [{"step": line.step, "kind": line.kind, "shell": line.shell, "text": line.text} for line in lines]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{procedure.id} — {procedure.title_in(current())}")
    for number, line in enumerate(lines, start=1):
        if line.shell:
            print(f"{number:>2}. {line.step} [{line.shell}] $ {line.text}")
        else:
            print(f"{number:>2}. {line.step} ({line.kind}) {line.text}")
    return EXIT_OK


def _shells(namespace: argparse.Namespace, database: Any | None) -> list[str] | None:
    if namespace.shell:
        return [namespace.shell]
    if not namespace.target:
        return ["sh"]
    from supportstation.remote import workbench
    from supportstation.remote.targets import TargetError

    assert database is not None
    try:
        with database.session() as session:
            return list(workbench.resolve_target(session, namespace.target).shells)
    except TargetError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return None
