"""The emulator's server: sushy-tools' app behind a WSGI front (faults, sessions, basic auth), over TLS on 127.0.0.1,
served by werkzeug in a thread of this process."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
from sushy_tools.emulator import main as emulator_main
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .certificate import EmulatorCertificate
from .idrac import SYSTEM_UUID
from .routes import ENVIRON_KEY, SESSIONS_PATH, prepare_app

TEST_USER = "root"
TEST_PASSWORD = "Calvin-2026-rf!"  # ASCII: basic auth sends Latin-1, so a BMC's password check differs beyond it
_ROOT_PATHS = ("", "/redfish", "/redfish/v1")

WsgiEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    auth: str  # "session", "basic" or "none": what the request carried


@dataclass
class Fault:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    times: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # one line per request would drown pytest's output


@dataclass
class RedfishEmulator:
    """sushy-tools' emulator on 127.0.0.1 over HTTPS with basic auth (and sessions), in a thread; `stop()` ends it."""

    folder: Path
    certificate: EmulatorCertificate
    user: str = TEST_USER
    password: str = field(default=TEST_PASSWORD, repr=False)
    sessions_enabled: bool = True
    advertise_log_services: bool = True
    host: str = "127.0.0.1"
    port: int = 0
    sessions: dict[str, int] = field(default_factory=dict)  # token -> session number, for the live sessions
    closed_sessions: list[int] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    state_folder: Path | None = None  # the fake driver's, for the process's first emulator (see prepare_app)
    _faults: dict[str, Fault] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_session: int = 1
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    @property
    def auth_file(self) -> str:
        return str(self.folder / "htpasswd")

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> None:
        prepare_app(self.state_folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Few bcrypt rounds: the middleware checks the password on every request of basic auth.
        digest = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        Path(self.auth_file).write_text(f"{self.user}:{digest}\n", encoding="utf-8")
        self._basic = emulator_main.RedfishAuthMiddleware(emulator_main.app, self.auth_file)
        self._server = make_server(
            self.host,
            self.port,
            self._gate,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=self.certificate.server_context(),
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="redfish-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops answering: the listening socket is closed, so a client's next connection is refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    # -- what tests use --

    def inject(
        self,
        path: str,
        *,
        status: int,
        body: str = "",
        content_type: str = "text/html",
        location: str = "",
        times: int = 1,
    ) -> None:
        """The next `times` requests for `path` (any method) answer this instead of the emulator; `location` makes
        it a redirect."""
        headers = [("Content-Type", content_type)] + ([("Location", location)] if location else [])
        with self._lock:
            self._faults[path.rstrip("/")] = Fault(status, body.encode(), headers, times)

    def power_state(self) -> str:
        return str(emulator_main.app.systems.get_power_state(SYSTEM_UUID))

    def set_power_state(self, state: str) -> None:
        """Sets the fake system's power state directly ("On" or "Off"), for a test's starting point."""
        emulator_main.app.systems.set_power_state(SYSTEM_UUID, "On" if state == "On" else "ForceOff")
        emulator_main.app.systems.get_power_state(SYSTEM_UUID)  # the driver applies a pending change on reading

    def open_session(self) -> tuple[str, int]:
        with self._lock:
            token, number = secrets.token_hex(16), self._next_session
            self._next_session += 1
            self.sessions[token] = number
        return token, number

    def close_session(self, number: int) -> None:
        with self._lock:
            for token, value in list(self.sessions.items()):
                if value == number:
                    del self.sessions[token]
                    self.closed_sessions.append(number)

    def reset_records(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # -- the WSGI front: faults, sessions, then sushy-tools' basic auth --

    def _gate(self, environ: WsgiEnviron, start_response: StartResponse) -> Iterable[bytes]:
        environ[ENVIRON_KEY] = self
        path = str(environ.get("PATH_INFO", "")).rstrip("/")
        method = str(environ.get("REQUEST_METHOD", "GET"))
        token = environ.get("HTTP_X_AUTH_TOKEN")
        auth = "session" if token else "basic" if environ.get("HTTP_AUTHORIZATION") else "none"
        with self._lock:
            self.requests.append(RequestRecord(method, path, auth))
            fault = self._faults.get(path)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[path]
        if fault is not None:
            start_response(f"{fault.status} Injected", fault.headers)
            return [fault.body]
        if path in _ROOT_PATHS or (self.sessions_enabled and method == "POST" and path == SESSIONS_PATH):
            return emulator_main.app(environ, start_response)  # the service root and the login need no login
        if token:
            if token in self.sessions:
                return emulator_main.app(environ, start_response)
            body = json.dumps({"error": {"code": "Base.1.12.NoValidSession", "message": "No valid session."}})
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [body.encode()]
        return self._basic(environ, start_response)
