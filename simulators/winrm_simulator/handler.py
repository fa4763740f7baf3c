"""HTTP side of the WinRM simulator: one connection per thread, authentication, NTLM sealing, then SOAP dispatch.

Part of a test simulator (see server.py), not a WinRM implementation.
"""

from __future__ import annotations

import base64
import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import spnego

from . import auth

if TYPE_CHECKING:
    from .server import WinRMSimulator

log = logging.getLogger(__name__)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: WinRMSimulator

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up or fail the TLS handshake (the expired-certificate test) are routine here.
        log.debug("WinRM simulator: connection from %s ended with an error", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: NTLM authenticates the connection, not each request.
    protocol_version = "HTTP/1.1"
    server: Server
    timeout = 60  # an idle connection's thread ends after this

    def setup(self) -> None:
        super().setup()
        self.ntlm: spnego.ContextProxy | None = None
        self.ntlm_user: str | None = None
        self.server.simulator._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator._track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("WinRM simulator: " + format, *args)

    def do_POST(self) -> None:
        sim = self.server.simulator
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?")[0].rstrip("/").lower() != "/wsman":
            self._send(404, b"", None)
            return
        user = self._authenticate()
        if user is None:
            return
        encrypted = self.headers.get("Content-Type", "").lower().startswith("multipart/encrypted")
        if encrypted:
            if self.ntlm is None or not self.ntlm.complete:
                self._unauthorized()
                return
            try:
                body = auth.decrypt(self.ntlm, body)
                sim.encrypted_messages += 1
            except auth.EncryptionError:
                log.info("WinRM simulator: undecryptable message", exc_info=True)
                self._send(400, b"", None)
                return
        if not body:
            # pywinrm posts an empty body right after NTLM to set up encryption; Windows answers it with 200.
            self._send(200, b"", None)
            return
        status, answer = sim._answer(body, user)
        if answer is None:  # the drop fault: hang up without a word
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, answer, self.ntlm if encrypted else None)

    def _authenticate(self) -> str | None:
        """The authenticated user, or None after answering 401 (or an NTLM challenge)."""
        sim = self.server.simulator
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic" and "basic" in sim.auth:
            user = auth.check_basic(token.strip(), sim.users)
            if user is None:
                self._unauthorized()
            return user
        if scheme.lower() in ("negotiate", "ntlm") and "ntlm" in sim.auth:
            return self._ntlm_step(scheme, token.strip())
        if not scheme and self.ntlm_user is not None:
            return self.ntlm_user  # the connection was authenticated by NTLM before
        self._unauthorized()
        return None

    def _ntlm_step(self, scheme: str, token: str) -> str | None:
        if self.ntlm is None or self.ntlm.complete:
            self.ntlm, self.ntlm_user = auth.new_ntlm_acceptor(), None
        try:
            out = self.ntlm.step(base64.b64decode(token))
        except (spnego.exceptions.SpnegoError, ValueError):
            log.info("WinRM simulator: NTLM authentication failed", exc_info=True)
            self.ntlm = None
            self._unauthorized()
            return None
        if not self.ntlm.complete:
            self._send(401, b"", None, [("WWW-Authenticate", f"{scheme} {base64.b64encode(out or b'').decode()}")])
            return None
        self.ntlm_user = self.ntlm.client_principal or "?"
        return self.ntlm_user

    def _unauthorized(self) -> None:
        offered = []
        if "ntlm" in self.server.simulator.auth:
            offered.append(("WWW-Authenticate", "Negotiate"))
        if "basic" in self.server.simulator.auth:
            offered.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        self._send(401, b"", None, offered)

    def _send(
        self,
        status: int,
        body: bytes,
        seal_with: spnego.ContextProxy | None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        content_type = "application/soap+xml;charset=UTF-8"
        if seal_with is not None:
            body, content_type = auth.encrypt(seal_with, body), auth.ENCRYPTED_CONTENT_TYPE
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server", "Microsoft-HTTPAPI/2.0")
        self.end_headers()
        self.wfile.write(body)
