"""The WinRM simulator: a WS-Management endpoint at /wsman on 127.0.0.1 that stands in for a Windows host in tests.

It is a simulator, not a Windows host: `cmd` commands run through `/bin/sh -c`, PowerShell is answered from a table
of recorded responses, and only Basic and NTLM authentication are offered (no Kerberos, no CredSSP).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from . import auth, soap
from .certs import CertPair
from .files import FileService
from .handler import Handler, Server
from .powershell import Response, cmd_response, find_response, script_of
from .shells import Command, Shell

log = logging.getLogger(__name__)

AuthScheme = Literal["basic", "ntlm"]


@dataclass
class Faults:
    """Fault switches a test flips; counters count down as the faults are served."""

    drop_receives: int = 0  # close the connection without answering the next N Receives
    http_500: int = 0  # answer the next N SOAP requests with a bare HTTP 500 (no SOAP fault inside)
    malformed: int = 0  # answer the next N SOAP requests with 200 and broken XML
    delay: float = 0.0  # wait this many seconds before every SOAP answer


class WinRMSimulator:
    """A WinRM (WS-Management) simulator on 127.0.0.1, served from a thread; use as a context manager.

    `powershell_responses` maps a script (exact text) or a compiled pattern (searched) to a `Response`;
    `powershell_scripts` records every decoded script and `command_lines` every command line, in order.
    With `files_root`, SupportStation's file-transfer scripts are carried out on that folder (see files.py).
    NTLM over plain HTTP uses WinRM message encryption; over HTTPS it is plain SOAP inside TLS, as with Windows.
    """

    def __init__(
        self,
        users: dict[str, str],
        https: CertPair | None = None,
        auth: tuple[AuthScheme, ...] = ("basic", "ntlm"),
        port: int = 0,
        machine: str = "WIN-SIMULATOR",
        files_root: Path | None = None,
        run_commands: bool = True,
    ) -> None:
        self.users = dict(users)
        self.https = https
        self.auth = auth
        self.machine = machine
        self.faults = Faults()
        # The host's drives for SupportStation's file-transfer scripts (files.py); None answers them as unknown.
        self.files = FileService(files_root) if files_root is not None else None
        # False: cmd lines are answered from `cmd_responses` instead of running through /bin/sh (the demo runs on the
        # engineer's own laptop, where a stand-in must not execute what is typed for a Windows host).
        self.run_commands = run_commands
        self.cmd_responses: dict[str, Response] = {}
        self.powershell_responses: dict[str | re.Pattern[str], Response] = {}
        self.powershell_scripts: list[str] = []
        self.command_lines: list[str] = []
        self.encrypted_messages = 0  # SOAP messages that arrived NTLM-sealed (plain HTTP with NTLM)
        self._requested_port = port
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._user_file: tempfile.TemporaryDirectory[str] | None = None
        self._previous_user_file: str | None = None

    # Life cycle --------------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "the simulator is not started"
        return self._server.server_address[1]

    @property
    def open_shells(self) -> int:
        """Shells created and not deleted yet: a client must delete its shells on every path."""
        with self._lock:
            return len(self._shells)

    @property
    def url(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self.port}/wsman"

    def start(self) -> WinRMSimulator:
        if "ntlm" in self.auth:
            self._install_ntlm_users()
        try:
            server = Server(("127.0.0.1", self._requested_port), Handler)
        except OSError:
            self._restore_ntlm_users()  # the port is taken: leave the process as it was
            raise
        server.simulator = self
        if self.https:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.https.cert, self.https.key)
            # The handshake then happens in the connection's own thread, not in the accept loop.
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True, name="winrm-simulator")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            connections, self._connections = list(self._connections), set()
            shells, self._shells = list(self._shells.values()), {}
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        for shell in shells:
            shell.close()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(5)
        self._server = None
        self._restore_ntlm_users()

    def __enter__(self) -> WinRMSimulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _install_ntlm_users(self) -> None:
        # pyspnego's acceptor only reads accounts from the file named by NTLM_USER_FILE (see auth.py).
        self._user_file = tempfile.TemporaryDirectory(prefix="winrm-simulator-")
        path = Path(self._user_file.name) / "ntlm-users"
        path.write_text(auth.ntlm_user_file_text(self.users), encoding="utf-8")
        self._previous_user_file = os.environ.get("NTLM_USER_FILE")
        os.environ["NTLM_USER_FILE"] = str(path)

    def _restore_ntlm_users(self) -> None:
        if self._user_file is None:
            return
        if self._previous_user_file is None:
            os.environ.pop("NTLM_USER_FILE", None)
        else:
            os.environ["NTLM_USER_FILE"] = self._previous_user_file
        self._user_file.cleanup()
        self._user_file = None

    def _track(self, connection: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(connection)

    # Requests ----------------------------------------------------------------------------------------------------

    def _take_fault(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False

    def _answer(self, body: bytes, user: str) -> tuple[int, bytes | None]:
        """Status and body for a SOAP request; a None body means: drop the connection."""
        if self.faults.delay:
            self._stopping.wait(self.faults.delay)
        if self._take_fault("http_500"):
            return 500, b"Internal Server Error (simulated)"
        if self._take_fault("malformed"):
            return 200, b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:Rec'
        relates_to = ""
        try:
            request = soap.parse_request(body)
            relates_to = request.message_id
            if request.action == soap.RECEIVE and self._take_fault("drop_receives"):
                return 200, None
            return 200, self._dispatch(request, user)
        except soap.Fault as fault:
            return 500, soap.fault_envelope(fault, relates_to, self.machine)

    def _dispatch(self, request: soap.Request, user: str) -> bytes:
        if request.action == soap.CREATE:
            return self._create(request, user)
        if request.action not in (soap.DELETE, soap.COMMAND, soap.RECEIVE, soap.SEND, soap.SIGNAL):
            raise soap.Fault("a:ActionNotSupported", f"The action {request.action} is not supported by the simulator.")
        with self._lock:
            shell = self._shells.get(request.shell_id or "")
        if shell is None:
            raise soap.shell_not_found(request.shell_id or "")
        if request.action == soap.DELETE:
            with self._lock:
                self._shells.pop(shell.id, None)
            shell.close()
            return soap.envelope(f"{soap.TRANSFER}/DeleteResponse", request.message_id, "")
        if request.action == soap.COMMAND:
            return self._command(request, shell)
        command = self._command_of(request, shell)
        if request.action == soap.RECEIVE:
            return self._receive(request, command)
        if request.action == soap.SEND:
            stream = request.body.find(f"{{{soap.SHELL}}}Send/{{{soap.SHELL}}}Stream")
            assert stream is not None  # _command_of found its CommandId
            command.send(base64.b64decode(stream.text or ""), stream.get("End", "").lower() == "true")
            return soap.envelope(f"{soap.SHELL}/SendResponse", request.message_id, "<rsp:SendResponse/>")
        code = request.body.findtext(f"{{{soap.SHELL}}}Signal/{{{soap.SHELL}}}Code", "").strip()
        command.signal(code)
        if code.endswith("/terminate"):
            with self._lock:
                shell.commands.pop(command.id, None)
        return soap.envelope(f"{soap.SHELL}/SignalResponse", request.message_id, "<rsp:SignalResponse/>")

    def _create(self, request: soap.Request, user: str) -> bytes:
        if request.resource_uri != soap.CMD_RESOURCE:
            raise soap.Fault(
                "w:DestinationUnreachable",
                f"The simulator only serves {soap.CMD_RESOURCE}, not {request.resource_uri}.",
            )
        spec = request.body.find(f"{{{soap.SHELL}}}Shell")
        env: dict[str, str] = {}
        cwd = None
        if spec is not None:
            cwd = spec.findtext(f"{{{soap.SHELL}}}WorkingDirectory")
            for variable in spec.iterfind(f"{{{soap.SHELL}}}Environment/{{{soap.SHELL}}}Variable"):
                env[variable.get("Name", "")] = variable.text or ""
        shell = Shell(owner=user, cwd=cwd, env=env)
        with self._lock:
            self._shells[shell.id] = shell
        selector = f'<w:SelectorSet><w:Selector Name="ShellId">{shell.id}</w:Selector></w:SelectorSet>'
        body = (
            f"<x:ResourceCreated><a:Address>{self.url}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{soap.CMD_RESOURCE}</w:ResourceURI>{selector}</a:ReferenceParameters></x:ResourceCreated>"
            f"<rsp:Shell><rsp:ShellId>{shell.id}</rsp:ShellId><rsp:ResourceUri>{soap.CMD_RESOURCE}</rsp:ResourceUri>"
            f"<rsp:Owner>{user}</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
            "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>"
            "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>"
        )
        return soap.envelope(f"{soap.TRANSFER}/CreateResponse", request.message_id, body)

    def _command(self, request: soap.Request, shell: Shell) -> bytes:
        line = request.body.find(f"{{{soap.SHELL}}}CommandLine")
        program = (line.findtext(f"{{{soap.SHELL}}}Command") or "").strip() if line is not None else ""
        arguments = [(a.text or "") for a in line.iterfind(f"{{{soap.SHELL}}}Arguments")] if line is not None else []
        command_line = " ".join([program, *arguments]).strip()
        with self._lock:
            self.command_lines.append(command_line)
        script = script_of(command_line)
        if script is not None:
            with self._lock:
                self.powershell_scripts.append(script)
                response = find_response(self.powershell_responses, script)
            run = self.files.handler(script, shell.owner) if self.files is not None else None
            command = Command.scripted(command_line, run) if run else Command.recorded(command_line, response)
        elif not self.run_commands:
            command = Command.recorded(command_line, cmd_response(self.cmd_responses, command_line))
        else:
            command = Command.spawned(command_line, shell.cwd, shell.env)
        with self._lock:
            shell.commands[command.id] = command
        body = f"<rsp:CommandResponse><rsp:CommandId>{command.id}</rsp:CommandId></rsp:CommandResponse>"
        return soap.envelope(f"{soap.SHELL}/CommandResponse", request.message_id, body)

    def _command_of(self, request: soap.Request, shell: Shell) -> Command:
        node = next((n for n in request.body.iter() if n.get("CommandId")), None)
        command_id = node.get("CommandId", "") if node is not None else ""
        with self._lock:
            command = shell.commands.get(command_id.upper())
        if command is None:
            raise soap.command_not_found(command_id)
        return command

    def _receive(self, request: soap.Request, command: Command) -> bytes:
        started = time.monotonic()
        # Windows' default OperationTimeout is 60 s; a client that sends none waits that long too.
        output = command.receive(request.operation_timeout or 60.0, self._stopping)
        if output is None:
            log.debug("WinRM simulator: Receive timed out after %.1f s", time.monotonic() - started)
            raise soap.timeout_fault()
        streams = "".join(
            f'<rsp:Stream Name="{name}" CommandId="{command.id}">{base64.b64encode(data).decode()}</rsp:Stream>'
            for name, data in output.chunks
        )
        if output.exit_code is None:
            state = f'<rsp:CommandState CommandId="{command.id}" State="{soap.SHELL}/CommandState/Running"/>'
        else:
            streams += "".join(
                f'<rsp:Stream Name="{name}" CommandId="{command.id}" End="true"></rsp:Stream>'
                for name in ("stdout", "stderr")
            )
            state = (
                f'<rsp:CommandState CommandId="{command.id}" State="{soap.SHELL}/CommandState/Done">'
                f"<rsp:ExitCode>{output.exit_code}</rsp:ExitCode></rsp:CommandState>"
            )
        body = f'<rsp:ReceiveResponse SequenceID="0">{streams}{state}</rsp:ReceiveResponse>'
        return soap.envelope(f"{soap.SHELL}/ReceiveResponse", request.message_id, body)
