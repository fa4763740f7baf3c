"""Real OpenSSH servers for the SSH engine's integration tests: Debian's /usr/sbin/sshd on a free port, in a folder.

Logins go to a dedicated user with a plain /bin/sh (root's ~/.bashrc here costs ~150 ms per command, and a test must
never log in as root). Every server is stopped by PID together with the processes that serve its connections, so no
sshd outlives the test session.

Traps found while building this (OpenSSH 9.2, Debian 12):
- sshd opens AuthorizedKeysFile *as the login user*, not as root: the file and every folder above it must be readable
  by that user, which pytest's 0700 tmp folders are not.
- Connection children call setsid(): they leave sshd's process group, so killing the group misses them; this module
  walks /proc for the listener's descendants instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.postgres import free_port

SSHD = "/usr/sbin/sshd"
TEST_USER = "sstest"
# Shell-special characters on purpose: code that pastes the password into a shell command line breaks on them.
TEST_PASSWORD = "Corr3ct-Horse! $x'y"
KEY_PASSPHRASE = "Key pass$phrase!"
START_TIMEOUT = 5.0


# --- the test user and its keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SshUser:
    """The login account and the client keys of a test session (keys belong to root, who runs the clients)."""

    name: str
    password: str
    folder: Path
    key: Path  # unencrypted ed25519 private key
    encrypted_key: Path  # ed25519 private key protected by `passphrase`
    passphrase: str
    authorized_keys: Path  # both public keys, for sshd's AuthorizedKeysFile

    @property
    def key_pub(self) -> Path:
        return self.key.with_name(self.key.name + ".pub")

    @property
    def encrypted_key_pub(self) -> Path:
        return self.encrypted_key.with_name(self.encrypted_key.name + ".pub")


def ensure_user(name: str = TEST_USER, password: str = TEST_PASSWORD) -> pwd.struct_passwd:
    """Create the login account if missing and (re)set its password: a previous run may have left another one."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        created = subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/sh", name], capture_output=True, text=True
        )
        # A parallel session may have created it between our lookup and useradd: only fail if it still is missing.
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            raise RuntimeError(f"useradd {name} failed: {created.stderr.strip()}") from None
    if account.pw_shell != "/bin/sh":
        subprocess.run(["usermod", "--shell", "/bin/sh", name], check=True, capture_output=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True)
    return pwd.getpwnam(name)


def generate_key(path: Path, passphrase: str = "", comment: str = "") -> str:
    """An ed25519 key pair at `path` and `path`.pub; returns the public key as "ssh-ed25519 AAAA...".

    ed25519 rather than RSA 3072 for the encrypted key too: ssh-keygen takes ~1.7 s for an RSA 3072 key here.
    """
    for stale in (path, path.with_name(path.name + ".pub")):
        stale.unlink(missing_ok=True)  # ssh-keygen would ask before overwriting
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return public_key_text(path)


def public_key_text(private_key: Path) -> str:
    """ "type base64" of a key's .pub file, without the comment (the form of known_hosts and authorized_keys)."""
    kind, blob = private_key.with_name(private_key.name + ".pub").read_text().split()[:2]
    return f"{kind} {blob}"


def check_readable_by(path: Path, user: str) -> None:
    """Fail early and clearly when `user` cannot read `path` (sshd reads authorized_keys with the user's rights)."""
    probe = subprocess.run(["test", "-r", str(path)], user=user, capture_output=True)
    if probe.returncode != 0:
        raise RuntimeError(f"{path} is not readable by {user}: its folders need o+x and the file o+r")


def prepare_user(folder: Path, name: str = TEST_USER) -> SshUser:
    """The account, two client keys and an authorized_keys file with both, in `folder` (created 0755)."""
    ensure_user(name)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    key, encrypted = folder / "id_ed25519", folder / "id_ed25519_encrypted"
    lines = [generate_key(key, comment="plain"), generate_key(encrypted, KEY_PASSPHRASE, comment="encrypted")]
    authorized = folder / "authorized_keys"
    authorized.write_text("\n".join(lines) + "\n")
    authorized.chmod(0o644)
    check_readable_by(authorized, name)
    return SshUser(name, TEST_PASSWORD, folder, key, encrypted, KEY_PASSPHRASE, authorized)


# --- processes ---------------------------------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc (no ps: one pass, no fork)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(entry.path, "stat").read_text()
            # The command name may hold spaces and parentheses: fields restart after the last ")".
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """All processes below `pid`, children first."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, queue = [], list(children.get(pid, []))
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def terminate(pids: Iterable[int], grace: float = 2.0) -> None:
    """SIGTERM, then SIGKILL whatever still runs after `grace` seconds."""
    pids = list(pids)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _listening(pid: int, host: str, port: int) -> bool:
    """True once `pid` itself holds a listening TCP socket on host:port.

    Read from /proc rather than probed with a connection: a probe would leave a "Connection closed [preauth]" entry in
    the log tests read, and matching the socket inode proves the listener is ours, not another process on that port.
    /proc/PID/net/tcp shows the process's own network namespace, so this works inside `ip netns exec` too.
    """
    (address,) = struct.unpack("=I", socket.inet_aton(host))
    local = f"{address:08X}:{port:04X}"
    try:
        rows = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
        owned = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return False
    inodes = {f"socket:[{row.split()[9]}]" for row in rows if row.split()[1] == local and row.split()[3] == "0A"}
    return bool(inodes & owned)


# --- the server --------------------------------------------------------------------------------------------------


@dataclass
class SshServer:
    """One sshd listener. `stop()`, `restart()` and `kill_sessions()` act on the real processes."""

    host: str
    port: int
    user: str
    host_key_path: Path  # private key; the public one is beside it as .pub
    host_public_key: str  # "ssh-ed25519 AAAA..."
    config_path: Path
    log_path: Path
    folder: Path
    authorized_keys: Path | None = None
    password_auth: bool = True
    use_pam: bool = False
    log_level: str = "VERBOSE"
    extra_config: str = ""
    netns: str | None = None
    pid: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _key_generation: int = field(default=0, repr=False)

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@{self.host}:{self.port}"

    def known_hosts_line(self) -> str:
        """The OpenSSH known_hosts line for this server: the port goes in brackets when it is not 22."""
        name = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return f"{name} {self.host_public_key}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_mark(self) -> int:
        """Where the log ends now: pass it as `since` to look only at what a test caused on a shared server."""
        return len(self.log_text())

    def wait_for_log(self, text: str, timeout: float = 3.0, since: int = 0) -> str:
        """The first log line containing `text`, waiting for it: sshd's children write after the client is gone."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text()[since:].splitlines():
                if text in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in {self.log_path}:\n{self.log_text()[-4000:]}")
            time.sleep(0.02)

    def config_text(self) -> str:
        # sshd keeps the first value it reads for a keyword: extra lines go first so they override the defaults,
        # except from a "Match" on, which must stay last because it runs to the end of the file.
        before, match, after = ("\n" + self.extra_config).partition("\nMatch ")
        keys = str(self.authorized_keys) if self.authorized_keys else "none"
        # keyboard-interactive only has PAM behind it on Linux (no BSD auth): it makes no sense without PAM.
        kbd = "yes" if self.use_pam else "no"
        lines = [
            before.strip(),
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {self.host_key_path}",
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {keys}",
            # Without keys, no "publickey" in the methods offered: a refusal then names only the working ones.
            f"PubkeyAuthentication {'yes' if self.authorized_keys else 'no'}",
            f"PasswordAuthentication {'yes' if self.password_auth else 'no'}",
            f"KbdInteractiveAuthentication {kbd}",
            f"UsePAM {'yes' if self.use_pam else 'no'}",
            "StrictModes no",  # the keys folder belongs to root, not to the login user
            f"AllowUsers {self.user}",  # never a login as root, even by mistake
            "PermitRootLogin no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "Subsystem sftp internal-sftp",
            "MaxStartups 200:30:300",  # fan-out tests open many connections at once
            "MaxSessions 200",
            f"LogLevel {self.log_level}",
            f"Match {after}" if match else "",
        ]
        return "\n".join(line for line in lines if line) + "\n"

    def start(self) -> None:
        """Write the configuration, start sshd and wait until it listens."""
        self.config_path.write_text(self.config_text())
        command = [SSHD, "-D", "-e", "-f", str(self.config_path), "-E", str(self.log_path)]
        if self.netns:
            command = ["ip", "netns", "exec", self.netns, *command]  # ip execs sshd: the PID stays the listener's
        with self.log_path.open("ab") as log:  # errors sshd prints before it reads -E land in the same file
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.pid = self._process.pid
        self._wait_listening()

    def _wait_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.pid, self.host, self.port):
            code = self._process.poll()
            if code is not None or time.monotonic() > deadline:
                self.stop()
                state = f"exited with {code}" if code is not None else f"not listening after {START_TIMEOUT} s"
                raise RuntimeError(f"sshd on {self.host}:{self.port} {state}; {self.log_path}:\n{self.log_text()}")
            time.sleep(0.005)

    def session_pids(self) -> list[int]:
        """The processes serving connections: sshd's per-connection children and the commands they run."""
        return descendants(self.pid) if self._process else []

    def kill_sessions(self, grace: float = 1.0) -> None:
        """End every open connection the way a crashed server would, leaving the listener to accept new ones."""
        terminate(self.session_pids(), grace)

    def stop(self) -> None:
        """Stop the listener and every connection it serves. Idempotent."""
        if self._process is None:
            return
        process, self._process = self._process, None
        terminate([process.pid, *descendants(process.pid)])
        process.wait(timeout=5)  # reaps it: no zombie listener left behind

    def restart(self, *, new_host_key: bool = False, host_key: Path | None = None) -> None:
        """Stop and start again on the same port, with a fresh host key if asked ("host key changed" tests)."""
        self.stop()
        if new_host_key:
            self._key_generation += 1
            host_key = self.folder / f"host_ed25519.{self._key_generation}"
            generate_key(host_key, comment="host")
        if host_key is not None:
            self.host_key_path, self.host_public_key = host_key, public_key_text(host_key)
        self.start()


def ensure_privilege_separation_folder() -> None:
    """sshd refuses to start without it; Debian creates it only in its service unit."""
    folder = Path("/run/sshd")
    folder.mkdir(mode=0o755, exist_ok=True)
    folder.chmod(0o755)  # sshd also refuses it group- or world-writable


@contextlib.contextmanager
def running_sshd(
    folder: Path,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    user: str = TEST_USER,
    authorized_keys: Path | None = None,
    password_auth: bool = True,
    use_pam: bool = False,
    log_level: str = "VERBOSE",
    extra_config: str = "",
    netns: str | None = None,
    host_key: Path | None = None,
) -> Iterator[SshServer]:
    """An sshd listening on host:port (a free port if None), stopped with its connections on exit.

    `folder` must be reachable by sshd; `host_key` (an ed25519 private key, mode 0600) defaults to a new one, and
    passing another server's key with its port starts a "same host, same key" server. `authorized_keys` None refuses
    every key (and publickey is not offered). `netns` runs sshd inside that network namespace (host is then an
    address of the namespace).
    """
    ensure_privilege_separation_folder()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    if host_key is None:
        host_key = folder / "host_ed25519"
        generate_key(host_key, comment="host")
    server = SshServer(
        host=host,
        port=port or free_port(),
        user=user,
        host_key_path=host_key,
        host_public_key=public_key_text(host_key),
        config_path=folder / "sshd_config",
        log_path=folder / "sshd.log",
        folder=folder,
        authorized_keys=authorized_keys,
        password_auth=password_auth,
        use_pam=use_pam,
        log_level=log_level,
        extra_config=extra_config,
        netns=netns,
    )
    try:
        _start_on_a_free_port(server, retry=port is None)
        yield server
    finally:
        server.stop()


def _start_on_a_free_port(server: SshServer, *, retry: bool) -> None:
    """Start, trying another port if a chosen free port was taken between free_port() and sshd's bind."""
    for attempt in range(3):
        try:
            server.start()
            return
        except RuntimeError:
            if not retry or attempt == 2 or "Address already in use" not in server.log_text():
                raise
            server.port = free_port()


# --- clients -----------------------------------------------------------------------------------------------------


def write_known_hosts(path: Path, *servers: SshServer) -> Path:
    """A known_hosts file trusting exactly these servers' host keys."""
    path.write_text("".join(server.known_hosts_line() + "\n" for server in servers))
    return path


def write_askpass(path: Path, secret: str) -> Path:
    """An SSH_ASKPASS program answering every prompt (password, passphrase, keyboard-interactive) with `secret`."""
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(secret)}\n")
    path.chmod(0o700)
    return path


def ssh_command(
    server: SshServer,
    known_hosts: Path,
    *remote: str,
    identity: Path | None = None,
    options: Sequence[str] = (),
) -> list[str]:
    """An OpenSSH client command line that trusts only `known_hosts`, never prompts and ignores ~/.ssh/config.

    `options` are "Key=Value" strings passed as -o, before the defaults so they win (ssh keeps the first value).
    curve25519-sha256 because the default sntrup761 exchange costs ~90 ms of client CPU per connection here.
    """
    command = ["ssh", "-F", "none"]
    for option in [
        *options,
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        f"UserKnownHostsFile={known_hosts}",
        "GlobalKnownHostsFile=/dev/null",
        "KexAlgorithms=curve25519-sha256",
        "ConnectTimeout=5",
    ]:
        command += ["-o", option]
    if identity is not None:
        command += ["-o", "IdentitiesOnly=yes", "-i", str(identity)]
    return [*command, "-p", str(server.port), f"{server.user}@{server.host}", *remote]


@contextlib.contextmanager
def running_ssh_agent(folder: Path, keys: Iterable[Path] = ()) -> Iterator[Path]:
    """An ssh-agent holding `keys` (unencrypted), listening on folder/agent.sock; yields the socket path.

    Keep `folder` short: a Unix socket path is limited to 108 bytes, which deep pytest tmp paths can exceed.
    """
    socket_path = folder / "agent.sock"
    socket_path.unlink(missing_ok=True)
    agent = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(socket_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not socket_path.exists():
            if agent.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ssh-agent did not start: {agent.stderr.read().decode() if agent.stderr else ''}")
            time.sleep(0.005)
        environment = {**os.environ, "SSH_AUTH_SOCK": str(socket_path)}
        for key in keys:
            subprocess.run(
                ["ssh-add", "-q", str(key)], env=environment, stdin=subprocess.DEVNULL, check=True, capture_output=True
            )
        yield socket_path
    finally:
        terminate([agent.pid])
        agent.wait(timeout=5)
        if agent.stderr:
            agent.stderr.close()
        socket_path.unlink(missing_ok=True)
