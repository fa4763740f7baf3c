"""The demo's Linux hosts, played by OpenSSH's own server: `sshd` started by the demo on 127.0.0.1, as the engineer's
own account (no root needed, no system service touched), with a configuration, a host key and a login key of its
own in the demo's folder.

It is a real sshd: the host key question, the SSH actions, the terminal and the file transfers work as on a real
host, which is the point. But what is run there runs on this computer, under the engineer's account; the demo says
so wherever it shows these hosts. Only public-key login with the key made for the demo is accepted, only for the
current account, only from this computer, with no forwarding of any kind.

The process is started with `sshd -D -e -f CONFIG` and stopped by its PID, with the processes serving its
connections (they leave sshd's process group, so the group is not enough: they are found as its descendants in
/proc). A small shell holds a pipe from the app beside it (`LIFELINE`): when the app ends in any way, `kill -9`
included, the pipe closes and the shell stops sshd, so the demo's server never outlives the app that started it. An
sshd left behind all the same (the shell killed too) is found by the PID file it wrote and stopped at the next start.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from supportstation.i18n import _

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PREFERRED_PORT = 52222  # the same port at every start: the host key the engineer accepted for it stays accepted
START_TIMEOUT = 10.0  # ~0.1 s here; generous for a loaded laptop
# sh -c LIFELINE SSHD CONFIG: sshd runs in the background; a subshell waits for the app's pipe on fd 3 to close
# (the app exited, crashed or was killed: the kernel closes its end) and then stops sshd. The shell itself waits for
# sshd, so it ends with sshd's exit status when sshd ends first. A background job's input is /dev/null, hence fd 3.
LIFELINE = (
    'exec 3<&0 </dev/null; "$0" -D -e -f "$1" 3<&- & sshd=$!; '
    '(read -r _ <&3; kill -TERM "$sshd" 2>/dev/null) & exec 3<&-; wait "$sshd"'
)
# Where distributions put sshd, which is often not on a normal user's PATH (Debian's /usr/sbin).
_USUAL_PLACES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/opt/homebrew/sbin/sshd")


class SshdUnavailable(RuntimeError):
    """The demo's sshd cannot run here; the message says why and what to do, for the engineer."""


def find_sshd() -> str | None:
    """The sshd program, or None when OpenSSH's server is not installed."""
    found = shutil.which("sshd")
    if found:
        return found
    return next((place for place in _USUAL_PLACES if os.access(place, os.X_OK)), None)


def current_user() -> str:
    """The account sshd runs as, which is the only one it can let in. (Run as root, each command also runs root's
    shell start-up files, ~/.bashrc included, however slow they are: as on a real host logged into as root.)"""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return getpass.getuser()


@dataclass
class DemoSshd:
    """A running demo sshd. `stop()` ends it and every connection it serves (idempotent)."""

    port: int
    user: str
    host_fingerprint: str  # "SHA256:…", as OpenSSH and the host key question show it
    private_key: str = field(repr=False)  # the login key (OpenSSH text), offered to the vault
    key_id: str = ""  # a short id of the login key, which names its vault entry
    folder: Path = Path()
    pid: int = 0  # sshd's own, from its PID file
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        _terminate([process.pid, *_descendants(process.pid)])
        _close_lifeline(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)  # reaps it: no zombie left behind


def start(folder: Path) -> DemoSshd:
    """Starts the demo's sshd with its files in `folder`. Raises SshdUnavailable with the reason."""
    if os.name == "nt":
        raise SshdUnavailable(_("The demo's sshd runs on Linux and macOS only."))
    program = find_sshd()
    if program is None:
        raise SshdUnavailable(
            _(
                "OpenSSH's server (sshd) is not installed. On Debian or Ubuntu: sudo apt install openssh-server (its "
                "service need not run: the demo starts its own sshd, as you, on 127.0.0.1)."
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the keys and the list of keys let in: nobody else's business
    config = folder / "sshd_config"
    _stop_leftover(folder / "sshd.pid", config)
    host_key = folder / "host_ed25519"
    login_key = folder / "demo_login_ed25519"
    host_public = _ensure_key(host_key)
    login_public = _ensure_key(login_key)
    (folder / "authorized_keys").write_text(login_public + " supportstation-demo\n")
    (folder / "authorized_keys").chmod(0o600)
    if os.geteuid() == 0:
        # Run by root, sshd wants its privilege separation folder, which Debian makes only in its service unit.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    user = current_user()
    log_path = folder / "sshd.log"
    error = ""
    for port in (_free(PREFERRED_PORT), _free(0)):
        config.write_text(_config_text(folder, port, user))
        with log_path.open("ab") as output:  # sshd -e writes its log to stderr: into the demo's folder
            process = subprocess.Popen(
                ["/bin/sh", "-c", LIFELINE, program, str(config)],
                stdin=subprocess.PIPE,  # the lifeline: its end here closes when this process ends
                stdout=output,
                stderr=output,
                start_new_session=True,  # a Ctrl+C in the app's terminal is the app's to handle, not sshd's
            )
        error = _wait_listening(process, port, log_path)
        if not error:
            pid = _pid_in(folder / "sshd.pid") or process.pid
            log.info("Demo: sshd (PID %d) listens on %s:%d for %s", pid, HOST, port, user)
            return DemoSshd(
                port=port,
                user=user,
                host_fingerprint=_fingerprint(host_public),
                private_key=login_key.read_text(),
                key_id=_fingerprint(login_public).removeprefix("SHA256:")[:8].replace("/", "_").replace("+", "-"),
                folder=folder,
                pid=pid,
                _process=process,
            )
        _terminate([process.pid, *_descendants(process.pid)])
        _close_lifeline(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    raise SshdUnavailable(_("sshd did not start: {error}").format(error=error))


def _config_text(folder: Path, port: int, user: str) -> str:
    # Absolute paths only: sshd refuses relative ones. Every way in but the demo key is closed.
    lines = [
        f"Port {port}",
        f"ListenAddress {HOST}",
        f"HostKey {folder / 'host_ed25519'}",
        f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}",
        f"AllowUsers {user}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "PermitEmptyPasswords no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",  # PAM needs root; keys need no PAM
        "PermitRootLogin prohibit-password",  # matters only when the demo runs as root: the demo key, nothing else
        # The files are checked by their 0600 modes; StrictModes would also refuse a demo folder under /tmp.
        "StrictModes no",
        "AllowTcpForwarding no",
        "AllowAgentForwarding no",
        "AllowStreamLocalForwarding no",
        "X11Forwarding no",
        "PermitTunnel no",
        "PermitUserEnvironment no",
        "UseDNS no",
        "PrintMotd no",
        "PrintLastLog no",
        "Subsystem sftp internal-sftp",
        "LogLevel INFO",
    ]
    return "\n".join(lines) + "\n"


def _ensure_key(path: Path) -> str:
    """The ed25519 key at `path` (made once, mode 0600); returns its public half, "ssh-ed25519 AAAA…"."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if path.exists():
        key = serialization.load_ssh_private_key(path.read_bytes(), password=None)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        text = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(descriptor, "wb") as file:
            file.write(text)
    path.chmod(0o600)  # sshd refuses a host key others can read
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode()


def _fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _free(port: int) -> int:
    """`port` if nothing listens on it, else (or for 0) a port the kernel says is free now."""
    for candidate in (port, 0) if port else (0,):
        with socket.socket() as probe:
            try:
                probe.bind((HOST, candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise SshdUnavailable(_("No free port on {host}.").format(host=HOST))


def _wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> str:
    """ "" once sshd answers on the port with its SSH banner; otherwise what went wrong (its last log lines)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return _last_lines(log_path) or _("sshd exited with code {code}.").format(code=process.returncode)
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1) as connection:
            if connection.recv(64).startswith(b"SSH-"):
                return ""
        time.sleep(0.02)
    return _("sshd did not answer on {host}:{port} within {seconds} s.").format(
        host=HOST, port=port, seconds=int(START_TIMEOUT)
    )


def _last_lines(log_path: Path, count: int = 3) -> str:
    with contextlib.suppress(OSError):
        return " ".join(log_path.read_text(errors="replace").strip().splitlines()[-count:])
    return ""


def _stop_leftover(pid_file: Path, config: Path) -> None:
    """Stops an sshd a crashed demo left running on this folder: only one whose command line names this config."""
    pid = _pid_in(pid_file)
    try:
        # sshd rewrites its command line as its process title ("sshd: /usr/sbin/sshd -D -e -f CONFIG [listener]"):
        # the config's path is looked for in it, whatever separates the words.
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b" " + os.fsencode(config) in command_line.replace(b"\0", b" "):
        log.info("Demo: stopping the sshd (PID %d) an earlier demo left running", pid)
        _terminate([pid, *_descendants(pid)])


def _pid_in(pid_file: Path) -> int:
    """The PID sshd wrote in its PID file, or 0."""
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (Linux); none where /proc is not there."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    # The command name may hold spaces and parentheses: fields restart after the last ")".
                    parent = int(Path(entry.path, "stat").read_text().rpartition(")")[2].split()[1])
                    children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], list(children.get(pid, []))
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a zombie waits for its parent only: it is gone
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    return True


def _close_lifeline(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()


def _terminate(pids: list[int], grace: float = 2.0) -> None:
    """SIGTERM, then SIGKILL whatever still runs after `grace` seconds."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
