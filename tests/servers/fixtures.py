"""Fixtures with real OpenSSH servers (see sshd.py and netns.py beside this file), for the engine's tests and the
GUI's, a real SMTP server (smtp.py) and a real CUPS server (cups.py): registered for every test by tests/conftest.py.

They need root (a test user, sshd, network namespaces): skipped elsewhere, failed in CI where they must run.
Every folder lives under one `tempfile.mkdtemp()` made 0755: sshd reads authorized_keys as the login user, who
cannot enter pytest's 0700 tmp folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supportstation.remote.host_keys import HostKeyStore
from tests.servers import cups, smtp
from tests.servers import sshd as servers
from tests.servers.netns import NamespaceHost, NetnsLab, unavailable_reason


def skip_or_fail(reason: str) -> None:
    """Skip a test that cannot run on this machine, but fail in CI, where it must run."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_ssh_servers() -> None:
    if os.geteuid() != 0:
        skip_or_fail("SSH server tests need root: they create the test user sstest and run sshd")
    if not Path(servers.SSHD).exists() or shutil.which("ssh-keygen") is None:
        skip_or_fail("OpenSSH is not installed (tools/bootstrap --test installs openssh-server)")


@pytest.fixture(scope="session")
def ssh_folder() -> Iterator[Path]:
    """The root of every SSH fixture's files, readable by sshd and the test user."""
    require_ssh_servers()
    folder = Path(tempfile.mkdtemp(prefix="supportstation-ssh-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def ssh_user(ssh_folder: Path) -> servers.SshUser:
    """The login account sstest (shell /bin/sh, password TEST_PASSWORD) and this session's client keys."""
    return servers.prepare_user(ssh_folder / "user")


@pytest.fixture(scope="session")
def sshd(ssh_folder: Path, ssh_user: servers.SshUser) -> Iterator[servers.SshServer]:
    """The main server, on 127.0.0.1 and a free port: both client keys and the password log in."""
    with servers.running_sshd(ssh_folder / "sshd", authorized_keys=ssh_user.authorized_keys) as server:
        yield server


@pytest.fixture(scope="session")
def sshd_pam(ssh_folder: Path, ssh_user: servers.SshUser) -> Iterator[servers.SshServer]:
    """Only keyboard-interactive through PAM logs in: no password method, no authorized keys."""
    with servers.running_sshd(ssh_folder / "sshd-pam", password_auth=False, use_pam=True) as server:
        yield server


@pytest.fixture(scope="session")
def jump_sshd(ssh_folder: Path, ssh_user: servers.SshUser) -> Iterator[servers.SshServer]:
    """A bastion on 127.0.0.1 whose log (DEBUG1) records each forward: "server_request_direct_tcpip: ..."."""
    with servers.running_sshd(
        ssh_folder / "jump",
        authorized_keys=ssh_user.authorized_keys,
        log_level="DEBUG1",
        extra_config="AllowTcpForwarding yes",
    ) as server:
        yield server


@pytest.fixture
def fresh_sshd(ssh_folder: Path, ssh_user: servers.SshUser) -> Iterator[servers.SshServer]:
    """A server of the test's own, like `sshd`, free to be stopped, restarted or given a new host key."""
    folder = Path(tempfile.mkdtemp(prefix="fresh-", dir=ssh_folder))
    with servers.running_sshd(folder, authorized_keys=ssh_user.authorized_keys) as server:
        yield server
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ssh_agent(ssh_user: servers.SshUser) -> Iterator[Path]:
    """A running ssh-agent holding the unencrypted key; yields its socket (monkeypatch SSH_AUTH_SOCK to it)."""
    # A short folder of its own: deep pytest tmp paths can pass the 108-byte limit of a Unix socket path.
    folder = Path(tempfile.mkdtemp(prefix="sst-agent-"))
    try:
        with servers.running_ssh_agent(folder, [ssh_user.key]) as socket_path:
            yield socket_path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def netns_available(ssh_folder: Path) -> None:
    """Skips (fails in CI) where `ip netns` cannot be used; for tests that build a NetnsLab themselves."""
    reason = unavailable_reason()
    if reason:
        skip_or_fail(reason)


@pytest.fixture
def netns_hosts(
    netns_available: None, ssh_folder: Path, ssh_user: servers.SshUser
) -> Iterator[Callable[[int], list[NamespaceHost]]]:
    """A factory: `netns_hosts(3)` gives 3 more hosts, each in its own network namespace with an sshd on port 22.

    Everything (sshd, namespaces, links, bridge) is removed when the test ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="netns-", dir=ssh_folder))
    folder.chmod(0o755)
    with NetnsLab(folder, authorized_keys=ssh_user.authorized_keys) as lab:
        yield lab.add_hosts
    shutil.rmtree(folder, ignore_errors=True)


# --- for the SSH engine's tests (supportstation.remote) ---------------------------------------------------------

SUDOERS_FILE = Path("/etc/sudoers.d/supportstation-test")


@pytest.fixture
def trusting_store(tmp_path: Path) -> Callable[..., HostKeyStore]:
    """A factory: the engine's host key store whose app file trusts exactly the given servers, and no user file."""

    def make(*trusted: servers.SshServer) -> HostKeyStore:
        app_file = tmp_path / "app_known_hosts"
        if trusted:
            servers.write_known_hosts(app_file, *trusted)
        return HostKeyStore(app_file)

    return make


def _forget_sudo_timestamps(user: str) -> None:
    # A cached sudo credential would let a later test pass without the password it means to check.
    shutil.rmtree(Path("/run/sudo/ts") / user, ignore_errors=True)
    Path("/run/sudo/ts", user).unlink(missing_ok=True)


@pytest.fixture
def sudo_rights(ssh_user: servers.SshUser) -> Iterator[Path]:
    """sstest may run anything as root after giving its password; the sudoers file is removed at the end."""
    if not Path("/usr/bin/sudo").exists():
        skip_or_fail("sudo is not installed (tools/bootstrap --test installs it)")
    SUDOERS_FILE.write_text(f"{ssh_user.name} ALL=(ALL) ALL\n")
    SUDOERS_FILE.chmod(0o440)
    try:
        # A broken sudoers file would lock every sudo user of the machine out: check it before any test relies on it.
        subprocess.run(["visudo", "-c", "-q", "-f", str(SUDOERS_FILE)], check=True, capture_output=True)
        _forget_sudo_timestamps(ssh_user.name)
        yield SUDOERS_FILE
    finally:
        SUDOERS_FILE.unlink(missing_ok=True)
        _forget_sudo_timestamps(ssh_user.name)


# --- an SMTP server (see smtp.py beside this file): no root needed ----------------------------------------------------


@pytest.fixture(scope="session")
def smtp_certificates(tmp_path_factory: pytest.TempPathFactory) -> smtp.SmtpCertificates:
    """A throwaway CA and the certificate it signs for 127.0.0.1."""
    return smtp.make_certificates(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server(smtp_certificates: smtp.SmtpCertificates) -> Iterator[smtp.SmtpServer]:
    """A running server of the test's own, STARTTLS and login required; `stop()` and `start()` keep its port."""
    server = smtp.SmtpServer(smtp_certificates, security="starttls")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtps_server(smtp_certificates: smtp.SmtpCertificates) -> Iterator[smtp.SmtpServer]:
    """The same with TLS from the first byte (SMTPS, port 465 style)."""
    server = smtp.SmtpServer(smtp_certificates, security="ssl")
    server.start()
    yield server
    server.stop()


# --- a CUPS server (see cups.py beside this file): its own configuration, socket and spool in a temp folder --------


@pytest.fixture(scope="session")
def cups_server() -> Iterator[cups.CupsServer]:
    """A cupsd of the session with the queue FilePDF (also the default), which writes each job's PDF to a file."""
    reason = cups.missing_reason()
    if reason:
        skip_or_fail(reason)
    with cups.running_cupsd() as server:
        server.add_file_queue("FilePDF", default=True)
        yield server


@pytest.fixture
def cups_file_printer(cups_server: cups.CupsServer) -> Iterator[cups.FileQueue]:
    """The queue FilePDF, with CUPS_SERVER pointing at the session's cupsd during the test (restored after)."""
    with cups.use_server(cups_server):
        yield cups_server.queues["FilePDF"]
