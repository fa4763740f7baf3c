"""`supportstation run …` and `supportstation actions …`: remote commands from the command line, on the same core
as the window, recorded and audited the same way.

Exit status: the remote command's for one target; for several, 0 when all succeeded, 1 when a command failed, 255
when a target could not be reached; 255 for connection errors (as ssh), 124 for a timeout, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from supportstation.i18n import _
from supportstation.pipes import EXIT_OUTPUT_CLOSED, discard_standard_output
from supportstation.remote.fanout import fan_out
from supportstation.remote.host_keys import HostKeyDecision, HostKeyPrompt, OfferedKey, accept_new, refuse_unknown
from supportstation.remote.results import RunResult, RunState, Stream
from supportstation.remote.runs import RunHandle, Runner, RunRequest
from supportstation.remote.ssh import ConnectOptions
from supportstation.remote.targets import AuthMethod, Target, TargetError, WinrmOptions, WinrmShell

if TYPE_CHECKING:
    from supportstation.remote.handshakes import EarlyHandshakes

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_TIMEOUT, EXIT_INTERRUPTED, EXIT_CONNECTION = 124, 130, 255


# -- running --------------------------------------------------------------------------------------------------------


class CommandSession:
    """One command line's remote work: pool, runner, recording and how to ask about unknown host keys."""

    def __init__(
        self,
        namespace: argparse.Namespace,
        database: Any,
        app_paths: Any,
        vault: Any,
        profile: Any,
        *,
        demo: bool,
        handshakes: EarlyHandshakes | None = None,
    ) -> None:
        from supportstation.remote import workbench
        from supportstation.remote.pool import ConnectionPool

        self.namespace = namespace
        self.database = database
        secret = os.environ.get(namespace.password_env) if namespace.password_env else None
        if namespace.password_env and secret is None:
            raise TargetError(
                _("The environment variable {variable} is not set.").format(variable=namespace.password_env)
            )
        self.recording = workbench.recording_context(
            database, app_paths, vault, profile, demo=demo, ticket_reference=namespace.ticket
        )
        self.pool = ConnectionPool(
            handshakes.host_keys if handshakes is not None else workbench.host_key_store(app_paths),
            prompt=self._prompt(),
            credentials=workbench.vault_credentials(vault, password=secret, passphrase=secret),
            options=ConnectOptions(connect_timeout=namespace.connect_timeout),
            handshakes=handshakes,
        )
        self.runner = Runner(self.pool, recorder=self.recording.recorder, secrets=vault.known_secrets)
        # Names the early handshakes resolved already: looked up in the inventory (and ssh_config) once, not twice.
        self._resolved = dict(handshakes.resolved) if handshakes is not None else {}
        self._prompt_lock = asyncio.Lock()
        self._registry: Any = None
        self.stream_output = not namespace.json  # actions print their table at the end instead
        self.keys_refused_unasked = 0
        self.stopped_by: signal.Signals | None = None  # the signal that stopped the runs (SIGPIPE: output closed)

    def _prompt(self) -> HostKeyPrompt:
        if self.namespace.accept_new_host_key:
            return accept_new
        if self.namespace.json or not sys.stdin.isatty():
            return self._refuse_unasked
        return self._ask_on_terminal

    async def _refuse_unasked(self, offered: OfferedKey) -> HostKeyDecision:
        """OpenSSH's StrictHostKeyChecking=yes, when nobody can be asked (a script, --json). Counted, so that the
        command can say how to learn the key once it was checked."""
        self.keys_refused_unasked += 1
        return await refuse_unknown(offered)

    def explain_refused_keys(self) -> None:
        """After the errors: what to do about unknown keys refused without asking, said once for all hosts."""
        if self.keys_refused_unasked:
            print(
                _(
                    "Unknown host keys and certificates are refused when nobody can be asked (no terminal, or --json). "
                    "Check each fingerprint with the host's owner, then run the command again with "
                    "--accept-new-host-key to learn them, or in a terminal to be asked."
                ),
                file=sys.stderr,
            )

    async def _ask_on_terminal(self, offered: OfferedKey) -> HostKeyDecision:
        async with self._prompt_lock:  # one question at a time during a fan-out
            print(_describe_offered(offered), file=sys.stderr)
            question = _("Trust it [o]nce, [a]lways, or [N]o? ")
            answer = await asyncio.to_thread(_read_answer, question)
        return {"o": HostKeyDecision.ACCEPT_ONCE, "a": HostKeyDecision.ACCEPT_ALWAYS}.get(
            answer[:1], HostKeyDecision.REFUSE
        )

    def targets(self, names: Sequence[str]) -> list[Target]:
        import dataclasses

        from supportstation.remote import workbench

        namespace = self.namespace
        found = []
        with self.database.session() as session:
            for name in names:
                target = self._resolved.get(name) or workbench.resolve_target(
                    session, name, ssh_config=namespace.ssh_config
                )
                if target.device is not None:
                    # A switch or a BMC: its plugin's transport gives the language of its commands.
                    target = workbench.resolve_target(session, name, transports=self.device_transports())
                if namespace.identity:
                    target = dataclasses.replace(target, identity_files=tuple(namespace.identity), auth=AuthMethod.AUTO)
                if namespace.jump:
                    target = dataclasses.replace(
                        target, jump=workbench.jump_chain(namespace.jump, namespace.ssh_config)
                    )
                if target.winrm is not None:
                    target = dataclasses.replace(target, winrm=self._winrm_options(target.winrm))
                found.append(target)
        return found

    def registry(self) -> Any:
        """The plugins, loaded when first needed: a plain `run` on Linux hosts does without them."""
        if self._registry is None:
            self._registry = plugin_registry()
        return self._registry

    def device_transports(self) -> dict[str, Any]:
        transports = {transport.name: transport for transport in self.registry().all_transports()}
        self.pool.transports = transports
        return transports

    def _winrm_options(self, options: WinrmOptions) -> WinrmOptions:
        """The target's WinRM settings with those given on the command line."""
        import dataclasses

        namespace = self.namespace
        given: dict[str, Any] = {
            "shell": WinrmShell(namespace.shell) if namespace.shell else None,
            "auth": namespace.auth,
            "ca_file": namespace.ca_file,
            "cert_fingerprint": namespace.cert_fingerprint,
        }
        return dataclasses.replace(options, **{name: value for name, value in given.items() if value})

    async def run_all(self, requests: list[RunRequest]) -> dict[Target, RunResult]:
        handles: list[RunHandle] = []
        loop = asyncio.get_running_loop()
        reasons = {
            signal.SIGINT: "",  # Ctrl-C: the engineer's cancel
            signal.SIGTERM: _("Stopped: SupportStation was asked to end (SIGTERM)."),
            signal.SIGPIPE: _("Stopped: the output of the command line was closed (its reader, such as head, ended)."),
        }

        def stop_all(cause: signal.Signals) -> None:
            # The first cause is the one the exit status and the results tell.
            self.stopped_by = self.stopped_by or cause
            for handle in handles:
                handle.cancel(reasons[self.stopped_by])

        loop.add_signal_handler(signal.SIGINT, stop_all, signal.SIGINT)
        loop.add_signal_handler(signal.SIGTERM, stop_all, signal.SIGTERM)
        prefix = len(requests) > 1

        async def watch(handle: RunHandle) -> None:
            handles.append(handle)
            if self.stopped_by:
                handle.cancel(reasons[self.stopped_by])
            if not self.stream_output:
                handle.detach()
                return
            try:
                await _print_output(handle, prefix=prefix)
            except BrokenPipeError:
                # As ssh ends when its reader does (`| head`): every command stops, each recorded with the reason.
                discard_standard_output()
                handle.detach()
                stop_all(signal.SIGPIPE)

        try:
            return await fan_out(self.runner, requests, limit=self.namespace.limit, watch=watch)
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
            await self.pool.close()


def _describe_offered(offered: Any) -> str:
    if hasattr(offered, "summary"):  # a WinRM host's TLS certificate
        return _(
            "The certificate of {host} is not trusted ({problem}).\n{summary}.\nSHA-256 fingerprint: {fingerprint}"
        ).format(
            host=offered.host_entry, problem=offered.problem, summary=offered.summary(), fingerprint=offered.fingerprint
        )
    return _(
        "The authenticity of host {host} can't be established.\n{key_type} key fingerprint is {fingerprint}."
    ).format(host=offered.host_entry, key_type=offered.key_type, fingerprint=offered.fingerprint)


def _read_answer(question: str) -> str:
    try:
        return input(question).strip().lower()
    except EOFError:
        return ""


async def _print_output(handle: RunHandle, *, prefix: bool) -> None:
    label = f"[{handle.request.target.label}] ".encode()
    partial: dict[Stream, bytes] = {Stream.STDOUT: b"", Stream.STDERR: b""}
    async for chunk in handle:
        out = sys.stdout.buffer if chunk.stream is Stream.STDOUT else sys.stderr.buffer
        if not prefix:
            out.write(chunk.data)
            out.flush()
            continue
        # Several hosts at once: whole lines only, each with its host, so outputs do not interleave mid-line.
        lines = (partial[chunk.stream] + chunk.data).split(b"\n")
        partial[chunk.stream] = lines.pop()
        out.write(b"".join(label + line + b"\n" for line in lines))
        out.flush()
    for stream, rest in partial.items():
        if rest:
            out = sys.stdout.buffer if stream is Stream.STDOUT else sys.stderr.buffer
            out.write(label + rest + b"\n")
            out.flush()


def exit_status(results: Sequence[RunResult]) -> int:
    states = {result.state for result in results}
    if RunState.CANCELLED in states:
        return EXIT_INTERRUPTED
    if len(results) == 1:
        result = results[0]
        if result.state in (RunState.NOT_CONNECTED, RunState.CONNECTION_LOST):
            return EXIT_CONNECTION
        if result.state is RunState.TIMED_OUT:
            return EXIT_TIMEOUT
        return result.exit_code if result.exit_code is not None else EXIT_CONNECTION
    if states & {RunState.NOT_CONNECTED, RunState.CONNECTION_LOST}:
        return EXIT_CONNECTION
    if states <= {RunState.SUCCEEDED}:
        return EXIT_OK
    if states & {RunState.TIMED_OUT}:
        return EXIT_TIMEOUT
    return EXIT_FAILED


def result_json(target: Target, result: RunResult, table: Any = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "target": target.label,
        "url": result.target,
        "command": result.command,
        "state": result.state.value,
        "exit_code": result.exit_code,
        "error": result.error,
        "started_at": result.started_at.isoformat(),
        "ended_at": result.ended_at.isoformat() if result.ended_at else None,
        "duration_s": result.duration,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "truncated": result.output.truncated,
        "stdout_bytes": result.output.sizes[Stream.STDOUT],
        "stderr_bytes": result.output.sizes[Stream.STDERR],
        "host_key_fingerprint": result.host_key_fingerprint,
        "run_id": result.run_id,
    }
    if table is not None:
        data["table"] = {"columns": list(table.columns), "rows": [list(row) for row in table.rows]}
    return data


def report_failures(results: dict[Target, RunResult]) -> None:
    for result in results.values():
        if result.state is not RunState.SUCCEEDED and result.state is not RunState.FAILED:
            print(_("Error: {message}").format(message=result.describe()), file=sys.stderr)
        elif result.state is RunState.FAILED and len(results) > 1:
            print(result.describe(), file=sys.stderr)


def early_handshakes(namespace: argparse.Namespace, database: Any, app_paths: Any) -> EarlyHandshakes | None:
    """Key exchanges with the hosts of `run` or `actions run`, started while the vault opens (see
    `remote.handshakes`); at most --limit of them, the fan-out's own pace. None when there is nothing to start."""
    from supportstation.remote import workbench
    from supportstation.remote.command_line import early_names
    from supportstation.remote.handshakes import start_early

    names = early_names(namespace)
    if not names:
        return None
    try:
        with database.session() as session:
            return start_early(
                names,
                lambda name: workbench.resolve_target(session, name, ssh_config=namespace.ssh_config),
                workbench.host_key_store(app_paths),
                ConnectOptions(connect_timeout=namespace.connect_timeout),
            )
    except Exception:  # a name that does not resolve: the command says so itself, once the vault is open
        log.debug("No early handshakes", exc_info=True)
        return None


STDIN_LIMIT = 64 * 1024 * 1024  # read whole, for every target: beyond this, a file transfer is the way


class InputTooLarge(Exception):
    """More standard input than `run` reads whole for its targets (STDIN_LIMIT)."""


def standard_input(namespace: argparse.Namespace) -> bytes | None:
    """What `run` sends to the remote command: the input piped or redirected to this command, read whole, as ssh and
    clush forward theirs. None from a terminal (nobody types into a fan-out), with -n, --pty or --sudo (sudo reads
    its password there)."""
    if namespace.no_stdin or namespace.pty or namespace.sudo or sys.stdin is None or sys.stdin.isatty():
        return None
    data = sys.stdin.buffer.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise InputTooLarge(
            _(
                "The standard input is over {size} MiB: send a big file with `supportstation files upload`, "
                "or give -n to send none."
            ).format(size=STDIN_LIMIT // (1024 * 1024))
        )
    return data or None


def run_command(session: CommandSession, namespace: argparse.Namespace, command: str) -> int:
    targets = session.targets(namespace.targets)
    try:
        given = standard_input(namespace)
    except InputTooLarge as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE
    requests = [
        RunRequest(target, command, timeout=namespace.timeout, pty=namespace.pty, sudo=namespace.sudo, input=given)
        for target in targets
    ]
    results = asyncio.run(session.run_all(requests))
    if session.stopped_by is signal.SIGPIPE:
        return EXIT_OUTPUT_CLOSED  # quietly, as a program ended by its reader: the runs are recorded as stopped
    if namespace.json:
        for target, result in results.items():
            print(json.dumps(result_json(target, result), ensure_ascii=False))
    else:
        report_failures(results)
    session.explain_refused_keys()
    if session.stopped_by is signal.SIGTERM:
        return 128 + signal.SIGTERM
    return exit_status(list(results.values()))


# -- actions ----------------------------------------------------------------------------------------------------------


def plugin_registry() -> Any:
    from supportstation.plugins import PluginRegistry

    registry = PluginRegistry()
    registry.load()
    for failure in registry.failures:
        print(_("Plugin {name} not loaded: {error}").format(name=failure.name, error=failure.error), file=sys.stderr)
    return registry


def list_actions(namespace: argparse.Namespace, database: Any = None) -> int:
    registry = plugin_registry()
    actions = sorted(registry.all_actions(), key=lambda action: (action.category, action.id))
    if namespace.host:
        kind = _inventory_kind(database, namespace.host)
        if kind is None:
            print(
                _("Error: no host of the inventory is named {name}; see: supportstation hosts list").format(
                    name=namespace.host
                ),
                file=sys.stderr,
            )
            return EXIT_USAGE
        actions = [action for action in actions if action.applies_to(*kind)]
    if namespace.json:
        rows = [
            {
                "id": action.id,
                "title": registry.translate(action, action.title),
                "category": registry.translate(action, action.category),
                "plugin": registry.action_owner(action.id),
                "os_families": list(action.os_families),
                "shells": list(action.commands),
                "parameters": [parameter.name for parameter in action.parameters],
                "needs_sudo": action.needs_sudo,
            }
            for action in actions
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    width = max((len(action.id) for action in actions), default=10)
    plugin_width = max((len(registry.action_owner(action.id)) for action in actions), default=6)
    for action in actions:
        systems = ", ".join(action.os_families)
        title, category = registry.translate(action, action.title), registry.translate(action, action.category)
        plugin = registry.action_owner(action.id)
        print(f"{action.id:<{width}}  {plugin:<{plugin_width}}  {title} ({category}; {systems})")
    return EXIT_OK


def _inventory_kind(database: Any, name: str) -> tuple[str, str] | None:
    """(OS family, vendor) of the inventory host with this name (without regard to case), as actions match them."""
    from sqlalchemy import func, select

    from supportstation.storage.models import Host

    if database is None:
        return None
    with database.session() as session:
        host = session.scalars(select(Host).where(func.lower(Host.name) == name.strip().lower())).first()
        return (host.os_family, host.vendor) if host is not None else None


def run_action(session: CommandSession, namespace: argparse.Namespace) -> int:
    from supportstation.plugin_api.actions import ActionError, ParameterError, ParseError

    action = session.registry().find_action(namespace.action)
    if action is None:
        print(
            _("Error: no action has the id {id}; see: supportstation actions list").format(id=namespace.action),
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        arguments = dict(item.split("=", 1) for item in namespace.param)
    except ValueError:
        print(_("Error: write parameters as NAME=VALUE."), file=sys.stderr)
        return EXIT_USAGE
    targets = session.targets(namespace.targets)
    timeout = namespace.timeout or action.timeout
    requests = []
    for target in targets:
        try:
            shell = action.shell_for(target.shells)
            command = action.command_for(shell, arguments)
        except (ActionError, ParameterError) as error:
            print(_("Error: {message}").format(message=error), file=sys.stderr)
            return EXIT_USAGE
        requests.append(
            RunRequest(
                target,
                command,
                timeout=timeout,
                sudo=action.needs_sudo,
                action_id=action.id,
                shell=shell,
                attach_as=action.attachment,
            )
        )
    # Asked once the action is known to fit every host and its parameters are right: a "yes" is not wasted on a
    # command that could not run.
    text = functools.partial(session.registry().translate, action)  # the plugin's words, in the user's language
    if action.confirm and not _confirmed(action, namespace, text):
        return EXIT_USAGE
    session.stream_output = namespace.raw and not namespace.json
    results = asyncio.run(session.run_all(requests))
    for target, result in results.items():
        table = None
        problem = ""
        if result.state is RunState.SUCCEEDED and not namespace.raw:
            try:
                table = action.parse(result.stdout)
            except ParseError as error:
                problem = str(error)
        if namespace.json:
            data = result_json(target, result, table)
            if problem:
                data["parse_error"] = problem
            print(json.dumps(data, ensure_ascii=False))
            continue
        if namespace.raw:
            continue
        if len(results) > 1:
            print(f"== {target.label}")
        if table is not None:
            print(format_table(table, text))
        else:
            if problem:
                print(_("(the output could not be read as a table: {error})").format(error=problem), file=sys.stderr)
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
    if not namespace.json:  # with --json each object says it, as for run
        report_failures(results)
    session.explain_refused_keys()
    return exit_status(list(results.values()))


def collect_facts(session: CommandSession, namespace: argparse.Namespace) -> int:
    """`hosts facts HOST…`: every applicable fact collector on each inventory host, the facts kept on the host."""
    from supportstation.clock import utc_now
    from supportstation.remote.facts import fact_requests, read_facts, store_facts

    collectors = session.registry().fact_collectors()
    planned = []
    for name in namespace.targets:
        kind = _inventory_kind(session.database, name)
        if kind is None:
            print(_("Error: no host of the inventory is named {name}; see: supportstation hosts list").format(
                name=name), file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        target = session.targets([name])[0]
        planned.append((name, target, fact_requests(target, *kind, collectors)))

    async def run_all() -> list[list[Any]]:
        # One event loop for every host: the pool's connections belong to it.
        return [[(collector, await session.runner.run(request)) for collector, request in requests]
                for _name, _target, requests in planned]  # fmt: skip

    outcome = EXIT_OK
    for (name, target, requests), results in zip(planned, asyncio.run(run_all()), strict=True):
        if not requests:
            print(_("{host}: no plugin has a fact collector for this kind of host.").format(host=name), file=sys.stderr)
            outcome = EXIT_FAILED
            continue
        read = read_facts(results)
        if read.facts and target.host_id is not None:
            with session.database.writing() as db_session:
                store_facts(db_session, target.host_id, read.facts, utc_now())
        if namespace.json:
            print(json.dumps({"host": name, "facts": read.facts, "problems": read.problems}, ensure_ascii=False))
        else:
            print(f"== {name}")
            width = max((len(fact) for fact in read.facts), default=0)
            for fact, value in sorted(read.facts.items()):
                print(f"{fact:<{width}}  {value}")
        for problem in read.problems:
            print(_("{host}: {problem}").format(host=name, problem=problem), file=sys.stderr)
        if read.problems:
            outcome = EXIT_FAILED
    session.explain_refused_keys()
    return outcome


def _confirmed(action: Any, namespace: argparse.Namespace, text: Callable[[str], str]) -> bool:
    """An action that changes something the customer relies on runs only once the engineer said yes: --yes, or an
    answer on the terminal."""
    if namespace.yes:
        return True
    question = text(action.confirm)
    if not sys.stdin.isatty():
        print(_("Error: {question} Add --yes to run {id} without a terminal.").format(question=question, id=action.id),
              file=sys.stderr)  # fmt: skip
        return False
    answer = _read_answer(question + " " + _("[y/N] "))
    if answer[:1] in ("y", "o"):  # yes, oui
        return True
    print(_("Not run."), file=sys.stderr)
    return False


def format_table(table: Any, text: Callable[[str], str] = _) -> str:
    """The table as aligned columns; `text` translates the headers (its plugin's catalog)."""
    headers = [text(column) for column in table.columns]
    rows = [list(row) for row in table.rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines += [text(note) for note in getattr(table, "notes", ())]
    return "\n".join(lines)


# -- files ------------------------------------------------------------------------------------------------------------


def transfer_file(session: CommandSession, namespace: argparse.Namespace) -> int:
    from supportstation.remote import transfers
    from supportstation.remote.recording import record_transfer
    from supportstation.remote.results import ConnectError

    if namespace.files_command == "download" and namespace.attach and not namespace.ticket:
        print(_("Error: --attach needs --ticket."), file=sys.stderr)
        return EXIT_USAGE
    target = session.targets([namespace.target])[0]
    show_progress = sys.stderr.isatty() and not namespace.json
    stopped: list[str] = []  # why the transfer was cancelled, when it was not the engineer's Ctrl-C

    def progress(done: int, total: int) -> None:
        if show_progress:
            percent = f"{100 * done // total}%" if total else ""
            print(f"\r{done:>14,} / {total:,} {percent}  ", end="", file=sys.stderr, flush=True)

    async def work() -> Any:
        cancel = threading.Event()
        loop = asyncio.get_running_loop()

        def stop(state: RunState) -> None:
            stopped.append(state.value)
            cancel.set()

        loop.add_signal_handler(signal.SIGINT, cancel.set)
        loop.add_signal_handler(signal.SIGTERM, stop, RunState.CANCELLED)
        timer = loop.call_later(namespace.timeout, stop, RunState.TIMED_OUT) if namespace.timeout else None
        try:
            if namespace.files_command == "upload":
                return await transfers.upload(
                    session.pool, target, namespace.local, namespace.remote, progress=progress, cancel=cancel
                )
            return await transfers.download(
                session.pool, target, namespace.remote, namespace.local, progress=progress, cancel=cancel
            )
        finally:
            if timer is not None:
                timer.cancel()
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
            await session.pool.close()

    def failed(state: RunState, message: str, status: int) -> int:
        if show_progress:
            print(file=sys.stderr)
        print(_("Error: {message}").format(message=message), file=sys.stderr)
        if namespace.json:
            print(json.dumps(_transfer_json(namespace, target, state, error=message), ensure_ascii=False))
        return status

    try:
        transfer = asyncio.run(work())
    except transfers.TransferCancelled as error:
        if RunState.TIMED_OUT.value in stopped:
            message = _("The transfer did not end within {seconds:g} s: stopped.").format(seconds=namespace.timeout)
            return failed(RunState.TIMED_OUT, message, EXIT_TIMEOUT)
        status = 128 + signal.SIGTERM if stopped else EXIT_INTERRUPTED
        return failed(RunState.CANCELLED, str(error), status)
    except ConnectError as error:
        status = failed(RunState.NOT_CONNECTED, str(error), EXIT_CONNECTION)
        session.explain_refused_keys()
        return status
    except transfers.TransferError as error:
        return failed(RunState.FAILED, str(error), EXIT_FAILED)
    if show_progress:
        print(file=sys.stderr)
    record_transfer(session.recording, transfer, attach=getattr(namespace, "attach", False))
    if namespace.json:
        print(json.dumps(_transfer_json(namespace, target, RunState.SUCCEEDED, transfer=transfer), ensure_ascii=False))
    else:
        arrow = "→"
        where = f"{transfer.target}:{transfer.remote}"
        source, destination = (transfer.local, where) if transfer.direction == "upload" else (where, transfer.local)
        print(
            _("{source} {arrow} {destination}: {size} bytes, SHA-256 {digest}").format(
                source=source, arrow=arrow, destination=destination, size=transfer.size, digest=transfer.sha256
            )
        )
    return EXIT_OK


def _transfer_json(
    namespace: argparse.Namespace, target: Target, state: RunState, *, transfer: Any = None, error: str = ""
) -> dict[str, Any]:
    """One object per transfer, whatever became of it: the same fields, as `run --json` gives one per target."""
    local = os.path.abspath(transfer.local if transfer else namespace.local)
    return {
        "direction": namespace.files_command,
        "target": target.label,
        "url": target.url,
        "local": local,
        "remote": transfer.remote if transfer else namespace.remote,
        "state": state.value,
        "error": error,
        "size": transfer.size if transfer else None,
        "sha256": transfer.sha256 if transfer else None,
        "host_key_fingerprint": transfer.host_key_fingerprint if transfer else None,
    }


# -- WinRM diagnostics ------------------------------------------------------------------------------------------------


def diagnose_winrm(session: CommandSession, namespace: argparse.Namespace) -> int:
    from supportstation.remote.winrm_diagnosis import StepState, diagnose

    target = session.targets([namespace.target])[0]
    if target.winrm is None:
        print(
            _("Error: {target} is not a WinRM target; write winrm+https://user@host:5986 or winrm+http://…").format(
                target=namespace.target
            ),
            file=sys.stderr,
        )
        return EXIT_USAGE
    password = session.pool.credentials(target).password
    marks = {StepState.OK: "✔", StepState.WARNING: "!", StepState.FAILED: "✘", StepState.SKIPPED: "–"}
    steps = []
    for step in diagnose(target, password, pins=session.pool.certificates, timeout=namespace.connect_timeout):
        steps.append(step)
        if namespace.json:
            continue
        print(f"{marks[step.state]} {step.name}: {step.detail}")
        if step.fix:
            print("    " + _("To fix: {fix}").format(fix=step.fix))
        sys.stdout.flush()
    if namespace.json:
        rows = [{"step": s.name, "state": s.state.value, "detail": s.detail, "fix": s.fix} for s in steps]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    passed = all(step.state is StepState.OK for step in steps)
    if passed and not namespace.json:
        print(_("Every check passed: {target} is reachable over WinRM.").format(target=target.label))
    return EXIT_OK if passed else EXIT_FAILED
