"""The command line: global start-up options, then an optional sub-command.

With no sub-command the window opens (`app.run`). Sub-commands run the same core without a window; they are how
tests, scripts and benchmarks reach it. Qt is never imported on that path.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from supportstation import __version__, paths, settings
from supportstation.context import DatabaseChoice
from supportstation.i18n import _, ngettext

if TYPE_CHECKING:
    from supportstation.remote.handshakes import EarlyHandshakes

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


@dataclass
class Options:
    data_dir: Path | None = None
    temp_data_dir: bool = False
    database: str | None = None
    demo: bool = False
    lang: str | None = None
    verbose: bool = False
    command: str | None = None
    # Hidden, for bench/startup and the screenshots script: quit once the window is shown (and the data loaded).
    exit_when_shown: bool = False
    exit_when_loaded: bool = False
    self_test: bool = False


def build_parser() -> argparse.ArgumentParser:
    from supportstation import cli_words

    cli_words.install()
    parser = argparse.ArgumentParser(
        prog="supportstation",
        description=_("SupportStation: tickets, remote actions, procedures and signed reports for on-site engineers."),
        epilog=_("With no command, the SupportStation window opens."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"SupportStation {__version__}",
        help=_("show program's version number and exit"),  # argparse's own default is never translated
    )
    folders = parser.add_mutually_exclusive_group()
    folders.add_argument("--data-dir", type=Path, metavar="DIR", help=_("keep settings, data and logs under DIR"))
    folders.add_argument(
        "--temp-data-dir", action="store_true", help=_("use a throwaway folder, deleted when SupportStation ends")
    )
    parser.add_argument(
        "--database", metavar="URL", help=_("database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME")
    )
    parser.add_argument(
        "--demo", action="store_true", help=_("use the demo database (sample data; your own data is not touched)")
    )
    parser.add_argument("--lang", choices=("fr", "en"), help=_("language of the interface and reports"))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log details to the console too"))
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-when-loaded", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--self-test",
        action="store_true",
        help=_(
            "open the window, the database and the plugins, say how each went, then quit: exit status 0 when all "
            "work, 1 otherwise (for installers and support)"
        ),
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title=_("commands"))
    commands.add_parser("version", help=_("print the version"))
    db = commands.add_parser("db", help=_("database maintenance"))
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help=_("create the database or bring it to this version's schema"))
    db_commands.add_parser("status", help=_("show which database is used and its schema revision"))
    commands.add_parser("demo", help=_("create or reset the demo database"))
    audit = commands.add_parser("audit", help=_("the audit log of remote actions"))
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    audit_verify = audit_commands.add_parser(
        "verify", help=_("check that no audit record was altered or deleted (exit status 1 if one was)")
    )
    audit_verify.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    from supportstation import agent_commands, plugin_commands
    from supportstation.procedures import commands as procedure_commands
    from supportstation.remote import command_line as remote_command_line
    from supportstation.remote import host_commands
    from supportstation.reports import commands as report_commands
    from supportstation.reports import outbox_commands
    from supportstation.tickets import commands as ticket_commands

    ticket_commands.add_parser(commands)
    host_commands.add_parser(commands)
    remote_command_line.add_parsers(commands)
    procedure_commands.add_parser(commands)
    report_commands.add_parser(commands)
    outbox_commands.add_parser(commands)
    plugin_commands.add_parser(commands)
    agent_commands.add_parser(commands)
    return parser


def parse(argv: Sequence[str]) -> tuple[Options, argparse.Namespace]:
    from supportstation.remote.command_line import split_remote_command

    parser = build_parser()
    arguments, remote_command = split_remote_command(argv)
    namespace = parser.parse_args(arguments)
    namespace.remote_command = remote_command
    if namespace.command == "run" and not remote_command:
        _subcommand(parser, "run").error(_("give the command after --: supportstation run TARGET -- COMMAND"))
    options = Options(
        data_dir=namespace.data_dir,
        temp_data_dir=namespace.temp_data_dir,
        database=namespace.database,
        demo=namespace.demo,
        lang=namespace.lang,
        verbose=namespace.verbose,
        command=namespace.command,
        exit_when_shown=namespace.exit_when_shown,
        exit_when_loaded=namespace.exit_when_loaded,
        self_test=namespace.self_test,
    )
    return options, namespace


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of one command, so that its error shows that command's usage rather than the program's."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]  # type: ignore[no-any-return]
    return parser


def resolve_paths(options: Options) -> paths.AppPaths:
    if options.temp_data_dir:
        return paths.temporary()
    if options.data_dir is not None:
        return paths.under(options.data_dir)
    default = paths.user_default()
    chosen = settings.load(default.settings_file).settings.data_folder
    if chosen:
        return paths.AppPaths(
            config=default.config, data=Path(chosen).expanduser(), cache=default.cache, logs=default.logs
        )
    return default


def choose_database(options: Options, app_paths: paths.AppPaths) -> DatabaseChoice:
    from supportstation.storage import sqlite_url

    if options.database:
        return DatabaseChoice(options.database, create_missing=False, demo=options.demo)
    if options.demo:
        app_paths.demo_database_file.parent.mkdir(parents=True, exist_ok=True)
        return DatabaseChoice(sqlite_url(app_paths.demo_database_file), create_missing=True, demo=True)
    return DatabaseChoice(sqlite_url(app_paths.database_file), create_missing=True, demo=False)


def main(argv: Sequence[str] | None = None, *, exit_when_done: bool = False) -> int:
    """Runs the window, or a command and returns its exit status. `exit_when_done` (the `supportstation` program):
    a command that returns ends the process there, without the interpreter's teardown (see `exit_at_once`)."""
    arguments = sys.argv[1:] if argv is None else argv
    # Translate --help and messages from the first line: the language option wins, then the saved setting.
    _install_early_language(arguments)
    options, namespace = parse(arguments)
    if options.command is None:
        from supportstation import app

        return app.run(options)
    app_paths = resolve_paths(options)
    try:
        status = _run_command(options, namespace, app_paths)
    except BrokenPipeError:
        # A reader gone from the pipe (`… | head`): quietly, with the status of a program its SIGPIPE ended.
        from supportstation.pipes import EXIT_OUTPUT_CLOSED, discard_standard_output

        discard_standard_output()
        status = EXIT_OUTPUT_CLOSED
    finally:
        app_paths.remove_if_temporary()
    if exit_when_done:
        start_agent_for_later(options)
        exit_at_once(status)
    return status


def start_agent_for_later(options: Options) -> None:
    """After a command typed in a terminal that ran without the agent, starts one in the background, as Mercurial's
    chg and Gradle's daemon do: the next commands are forked from it with SupportStation loaded, ~0.6 s of processor
    time sooner. Not for the window or the agent's own commands; not from scripts, cron or CI (no terminal), which
    must leave no process behind; not when SUPPORTSTATION_NO_AGENT is set or the user's setting is off. The setting is
    read from the user's own settings, not a --data-dir's: the agent is the user's, whatever the data folder."""
    import os

    from supportstation.agent_client import BYPASS_VARIABLE, supported

    if options.command in (None, "agent") or os.environ.get(BYPASS_VARIABLE) or not supported():
        return
    if not (sys.stderr.isatty() or sys.stdin.isatty()):
        return
    if not settings.load(paths.user_default().settings_file).settings.command_agent:
        return
    from supportstation import agent

    try:
        started = agent.start_in_background()
    except OSError as error:  # the command itself succeeded: say why the next ones will not be quicker, no more
        import logging

        logging.getLogger(__name__).warning("Could not start the agent: %s", error)
        return
    if started is not None:
        print(_("Starting the agent in the background, so that the next commands start sooner "
                "(`supportstation agent stop` stops it)."), file=sys.stderr)  # fmt: skip


def exit_at_once(status: int) -> NoReturn:
    """Ends the process of a command that is done: its results are printed and committed, its database closed, its
    connections closed. What the interpreter would still do is wait for idle threads (the connection workers, the
    transports' own threads) and take every module apart: 0.2-0.3 s after a fan-out to 50 hosts, for nothing. The
    log and the standard streams are flushed first; a reader gone from the pipe (`| head`) is not an error here."""
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def gui_main() -> int:
    """Entry point of the `supportstation-gui` script (no console window on Windows)."""
    return main()


def _install_early_language(arguments: Sequence[str]) -> None:
    from supportstation import i18n

    language = "system"
    for index, argument in enumerate(arguments):
        if argument == "--lang" and index + 1 < len(arguments):
            language = arguments[index + 1]
        elif argument.startswith("--lang="):
            language = argument.split("=", 1)[1]
    i18n.install(language)


def _run_command(options: Options, namespace: argparse.Namespace, app_paths: paths.AppPaths) -> int:
    from supportstation import logs, plugin_folders

    app_paths.create()
    logs.setup(app_paths.logs, verbose=options.verbose)
    # Every registry the command makes (actions, procedures, plugins list) uses the same folder and disabled plugins.
    disabled = settings.load(app_paths.settings_file).settings.disabled_plugins
    with plugin_folders.chosen_for_this_run(app_paths, disabled):
        return _dispatch(options, namespace, app_paths)


def _dispatch(options: Options, namespace: argparse.Namespace, app_paths: paths.AppPaths) -> int:
    from supportstation.storage import DatabaseError

    try:
        if options.command == "version":
            print(f"SupportStation {__version__}")
            return EXIT_OK
        if options.command == "db":
            return _db_command(namespace.db_command, options, app_paths)
        if options.command == "demo":
            return _demo_command(app_paths)
        if options.command == "agent":
            from supportstation import agent_commands

            return agent_commands.run(namespace)
        if options.command == "tickets":
            return _with_database(options, app_paths, lambda database: _tickets(namespace, database))
        if options.command == "hosts" and namespace.hosts_command != "facts":
            return _with_database(options, app_paths, lambda database: _hosts(namespace, database))
        if options.command in ("run", "actions", "files", "winrm", "hosts"):  # hosts facts: run on the hosts
            return _remote_command(options, namespace, app_paths)
        if options.command == "audit":
            return _with_database(options, app_paths, lambda database: _audit(namespace, options, app_paths, database))
        if options.command == "procedures":
            return _procedures(namespace, options, app_paths)
        if options.command == "plugins":
            from supportstation import plugin_commands

            return plugin_commands.run(namespace, app_paths)
        if options.command == "outbox":
            from supportstation.reports import outbox_commands

            return _with_database(
                options,
                app_paths,
                lambda database: outbox_commands.run(
                    namespace, options, app_paths, database, unlocked_vault=_unlocked_vault
                ),
            )
        if options.command == "reports":
            return _with_database(
                options, app_paths, lambda database: _reports(namespace, options, app_paths, database)
            )
    except DatabaseError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    raise AssertionError(f"unhandled command {options.command}")


def _db_command(action: str, options: Options, app_paths: paths.AppPaths) -> int:
    from supportstation.storage.database import open_database
    from supportstation.storage.schema import HEAD_REVISION, current_revision, prepare

    choice = choose_database(options, app_paths)
    database = open_database(choice.url, create_missing=(action == "upgrade") or choice.create_missing)
    try:
        if action == "status":
            revision = current_revision(database)
            print(_("Database: {name}").format(name=database.display_name))
            print(
                _("Schema revision: {revision} (this version: {head})").format(
                    revision=revision or _("none"), head=HEAD_REVISION
                )
            )
            return EXIT_OK
        report = prepare(database, app_paths.backups)
        if report.changed:
            print(
                _("Database {name} upgraded to schema revision {revision}.").format(
                    name=database.display_name, revision=report.after
                )
            )
            if report.backup:
                print(_("A copy of the previous database was kept as {path}.").format(path=report.backup))
        else:
            print(
                _("Database {name} is up to date (schema revision {revision}).").format(
                    name=database.display_name, revision=report.after
                )
            )
        return EXIT_OK
    finally:
        database.close()


def _with_database(options: Options, app_paths: paths.AppPaths, work: Callable[[Any], int]) -> int:
    """Opens (and migrates) the chosen database for a command, creating and filling the demo one if needed."""
    from supportstation import storage

    choice = choose_database(options, app_paths)
    database = storage.connect(choice.url, backups=app_paths.backups, create_missing=choice.create_missing)
    try:
        if choice.demo:  # the demo's sample data is imported only for it: a tenth of a second of every command
            from supportstation import demo

            if demo.is_empty(database):
                demo.populate(database)
        return work(database)
    finally:
        database.close()


def _reports(namespace: argparse.Namespace, options: Options, app_paths: paths.AppPaths, database: Any) -> int:
    from supportstation.reports import commands as report_commands

    return report_commands.run(namespace, options, app_paths, database)


def _tickets(namespace: argparse.Namespace, database: Any) -> int:
    from supportstation.tickets import commands as ticket_commands

    return ticket_commands.run(namespace, database)


def _hosts(namespace: argparse.Namespace, database: Any) -> int:
    from supportstation.remote import host_commands

    return host_commands.run(namespace, database)


VAULT_PASSWORD_VARIABLE = "SUPPORTSTATION_VAULT_PASSWORD"


def _unlocked_vault(app_paths: paths.AppPaths, *, needed: bool = True) -> Any:
    """The vault, unlocked with the password in SUPPORTSTATION_VAULT_PASSWORD when it is an encrypted file; None
    (with the reason printed) when it cannot be. `needed=False` leaves a locked vault locked."""
    vault, problem = _unlock_vault(app_paths, needed=needed)
    if problem:
        print(problem, file=sys.stderr)
    return vault


def _unlocked_vault_soon(app_paths: paths.AppPaths) -> Callable[[], Any]:
    """Starts opening and unlocking the vault in a thread, for a command that opens the database meanwhile: scrypt
    leaves the interpreter to the database's imports, and each command reaching hosts starts ~0.1 s sooner. The call
    returned waits for the vault, as `_unlocked_vault` would return it, and prints why when there is none."""
    import threading
    from concurrent.futures import Future

    unlocking: Future[tuple[Any, str | None]] = Future()

    def unlock() -> None:
        try:
            unlocking.set_result(_unlock_vault(app_paths))
        except BaseException as error:  # given to the main thread, which raises it
            unlocking.set_exception(error)

    threading.Thread(target=unlock, name="vault-unlock", daemon=True).start()

    def unlocked() -> Any:
        vault, problem = unlocking.result()
        if problem:
            print(problem, file=sys.stderr)
        return vault

    return unlocked


def _unlock_vault(app_paths: paths.AppPaths, *, needed: bool = True) -> tuple[Any, str | None]:
    """The vault, or None and why it cannot be used."""
    import os

    from supportstation.vault import VaultError, open_vault

    vault = open_vault(app_paths)
    if not (needed and vault.locked):
        return vault, None
    password = os.environ.get(VAULT_PASSWORD_VARIABLE)
    if not password:
        return None, _(
            "The vault is locked: set the environment variable {variable} to its master password, "
            "then run the command again."
        ).format(variable=VAULT_PASSWORD_VARIABLE)
    try:
        vault.unlock(password)
    except VaultError as error:
        return None, _("Error: {message}").format(message=error)
    return vault, None


def _remote_command(options: Options, namespace: argparse.Namespace, app_paths: paths.AppPaths) -> int:
    if _lists_actions(options, namespace):
        return _with_database(options, app_paths, lambda database: _list_actions(namespace, database))
    vault_call = _unlocked_vault_soon(app_paths)
    # While the vault opens, the key exchanges with the hosts are under way (no login before the vault is open):
    # from here for hosts given by address, once the database has found them otherwise.
    handshakes = _handshakes_with_addresses(namespace, app_paths)
    try:
        return _with_database(
            options,
            app_paths,
            lambda database: _remote(namespace, options, app_paths, database, vault_call, handshakes),
        )
    finally:
        if handshakes is not None:  # the database did not open, say: nobody took them
            handshakes.close()


def _handshakes_with_addresses(namespace: argparse.Namespace, app_paths: paths.AppPaths) -> EarlyHandshakes | None:
    from supportstation.remote.command_line import early_names
    from supportstation.remote.handshakes import start_for_addresses
    from supportstation.remote.ssh import ConnectOptions

    options = ConnectOptions(connect_timeout=namespace.connect_timeout)
    return start_for_addresses(early_names(namespace), app_paths.data, options)


def _list_actions(namespace: argparse.Namespace, database: Any) -> int:
    from supportstation.remote import commands as remote_commands

    return remote_commands.list_actions(namespace, database)


def _remote(
    namespace: argparse.Namespace,
    options: Options,
    app_paths: paths.AppPaths,
    database: Any,
    vault_call: Callable[[], Any],
    handshakes: EarlyHandshakes | None,
) -> int:
    from supportstation.remote import commands as remote_commands

    handshakes = handshakes or remote_commands.early_handshakes(namespace, database, app_paths)
    try:
        return _remote_work(namespace, options, app_paths, database, vault_call, handshakes)
    finally:
        if handshakes is not None:
            handshakes.close()


def _remote_work(
    namespace: argparse.Namespace,
    options: Options,
    app_paths: paths.AppPaths,
    database: Any,
    vault_call: Callable[[], Any],
    handshakes: EarlyHandshakes | None,
) -> int:
    from supportstation.remote import commands as remote_commands
    from supportstation.remote.recording import recover_interrupted
    from supportstation.remote.targets import TargetError
    from supportstation.tickets import TicketNotFound

    vault = vault_call()
    if vault is None:
        return EXIT_ERROR
    profile = settings.load(app_paths.settings_file).settings.profile
    try:
        session = remote_commands.CommandSession(
            namespace, database, app_paths, vault, profile, demo=options.demo, handshakes=handshakes
        )
        recover_interrupted(database, session.recording.anchor, session.recording.outputs_folder)
        if options.command == "run":
            return remote_commands.run_command(session, namespace, namespace.remote_command)
        if options.command == "files":
            return remote_commands.transfer_file(session, namespace)
        if options.command == "winrm":
            return remote_commands.diagnose_winrm(session, namespace)
        if options.command == "hosts":
            return remote_commands.collect_facts(session, namespace)
        return remote_commands.run_action(session, namespace)
    except (TargetError, TicketNotFound) as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE


def _lists_actions(options: Options, namespace: argparse.Namespace) -> bool:
    return options.command == "actions" and namespace.actions_command == "list"


def _procedures(namespace: argparse.Namespace, options: Options, app_paths: paths.AppPaths) -> int:
    from supportstation.procedures import commands as procedure_commands

    if namespace.procedures_command == "validate":
        return procedure_commands.validate(namespace)
    if namespace.procedures_command == "runs":
        from supportstation.procedures import run_commands

        return _with_database(options, app_paths, lambda database: run_commands.list_runs(namespace, database))
    if namespace.procedures_command in ("run", "resume"):
        vault_call = _unlocked_vault_soon(app_paths)
        return _with_database(
            options, app_paths, lambda database: _procedure_run(namespace, options, app_paths, database, vault_call)
        )
    if namespace.target:  # a host of the inventory is looked up in the database
        return _with_database(options, app_paths, lambda database: procedure_commands.preview(namespace, database))
    return procedure_commands.preview(namespace, None)


def _procedure_run(
    namespace: argparse.Namespace,
    options: Options,
    app_paths: paths.AppPaths,
    database: Any,
    vault_call: Callable[[], Any],
) -> int:
    from supportstation.procedures import run_commands
    from supportstation.remote import commands as remote_commands
    from supportstation.remote.recording import recover_interrupted
    from supportstation.remote.targets import TargetError
    from supportstation.tickets import TicketNotFound

    vault = vault_call()
    if vault is None:
        return EXIT_ERROR
    profile = settings.load(app_paths.settings_file).settings.profile
    if namespace.procedures_command == "resume":
        namespace.ticket = _ticket_of_run(database, namespace.run_id)  # a resumed run goes on recording where it was
    try:
        session = remote_commands.CommandSession(namespace, database, app_paths, vault, profile, demo=options.demo)
        recover_interrupted(database, session.recording.anchor, session.recording.outputs_folder)
        if namespace.procedures_command == "run":
            return run_commands.run(session, namespace, vault, app_paths)
        return run_commands.resume(session, namespace, vault)
    except (TargetError, TicketNotFound) as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE


def _ticket_of_run(database: Any, run_id: int) -> str | None:
    from supportstation.storage.models import Ticket
    from supportstation.storage.procedure_models import ProcedureRun

    with database.session() as session:
        run = session.get(ProcedureRun, run_id)
        ticket = session.get(Ticket, run.ticket_id) if run is not None and run.ticket_id else None
        return ticket.reference if ticket is not None else None


def _audit(namespace: argparse.Namespace, options: Options, app_paths: paths.AppPaths, database: Any) -> int:
    import json

    from supportstation import audit

    anchor = audit.anchor_path(app_paths, demo=options.demo)
    # The vault is only needed to check an existing anchor; an empty log must not create a vault as a side effect.
    vault = _unlocked_vault(app_paths, needed=anchor.exists())
    if vault is None:
        return EXIT_ERROR
    with database.session() as session:
        report = audit.verify(session, anchor, vault)
    if namespace.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            print(_("Problem: {message}").format(message=problem.message))
        for note in report.notes:
            print(_("Note: {message}").format(message=note))
        records = ngettext("{count} record", "{count} records", report.records).format(count=report.records)
        if report.intact:
            print(_("Audit log intact: {records}.").format(records=records))
        else:
            problems = len(report.problems)
            print(
                _("Audit log NOT intact: {problems} in {records}.").format(
                    problems=ngettext("{count} problem", "{count} problems", problems).format(count=problems),
                    records=records,
                )
            )
    return EXIT_OK if report.intact else EXIT_ERROR


def _demo_command(app_paths: paths.AppPaths) -> int:
    from supportstation import demo

    path = demo.reset(app_paths)
    print(_("Demo database ready: {path}").format(path=path))
    return EXIT_OK
