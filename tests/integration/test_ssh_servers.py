"""The SSH test servers work, proven with the real OpenSSH client (and paramiko for keyboard-interactive).

Every client trusts only a known_hosts file written from the server's host key, in BatchMode: nothing prompts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import paramiko
import pytest

from tests.servers.netns import NamespaceHost, NetnsLab, ip
from tests.servers.sshd import (
    TEST_PASSWORD,
    TEST_USER,
    SshServer,
    SshUser,
    ssh_command,
    write_askpass,
    write_known_hosts,
)

NamespaceFactory = Callable[[int], list[NamespaceHost]]


def run_ssh(
    server: SshServer,
    tmp_path: Path,
    *remote: str,
    identity: Path | None = None,
    options: Sequence[str] = (),
    askpass: str | None = None,
    trusted: Sequence[SshServer] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `ssh` against `server`; `askpass` answers prompts (BatchMode off then), with no terminal to read from."""
    known_hosts = write_known_hosts(tmp_path / "known_hosts", *(trusted or [server]))
    environment = dict(os.environ)
    if askpass is not None:
        options = [*options, "BatchMode=no"]
        environment |= {
            "SSH_ASKPASS": str(write_askpass(tmp_path / "askpass", askpass)),
            "SSH_ASKPASS_REQUIRE": "force",
        }
    command = ssh_command(server, known_hosts, *remote, identity=identity, options=options)
    # start_new_session: no controlling terminal, as in the app; ssh can only ask through SSH_ASKPASS.
    return subprocess.run(
        command,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=15,
        start_new_session=True,
    )


@contextlib.contextmanager
def long_session(server: SshServer, ssh_user: SshUser, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """An ssh client running a 30 s command on `server`, yielded once the command has started."""
    known_hosts = write_known_hosts(tmp_path / "long_known_hosts", server)
    command = ssh_command(server, known_hosts, "echo started; sleep 30", identity=ssh_user.key)
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as client:
        assert client.stdout is not None and client.stdout.readline() == b"started\n"
        try:
            yield client
        finally:
            client.kill()


def test_a_key_logs_in_as_the_test_user(sshd: SshServer, ssh_user: SshUser, tmp_path: Path) -> None:
    mark = sshd.log_mark()
    done = run_ssh(sshd, tmp_path, "id -un", identity=ssh_user.key)
    assert (done.returncode, done.stdout) == (0, f"{TEST_USER}\n"), done.stderr
    assert sshd.url == f"ssh://{TEST_USER}@127.0.0.1:{sshd.port}"
    assert sshd.known_hosts_line().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 AAAA")
    assert "Accepted publickey for sstest" in sshd.wait_for_log("Accepted publickey", since=mark)


def test_the_password_logs_in(sshd: SshServer, tmp_path: Path) -> None:
    options = ["PreferredAuthentications=password", "PubkeyAuthentication=no"]
    done = run_ssh(sshd, tmp_path, "echo ok", options=options, askpass=TEST_PASSWORD)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def test_an_unknown_host_key_is_refused(
    sshd: SshServer, fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    done = run_ssh(fresh_sshd, tmp_path, "true", identity=ssh_user.key, trusted=[sshd])
    assert done.returncode == 255
    assert "Host key verification failed" in done.stderr


def test_the_passphrase_key_needs_its_passphrase(
    sshd: SshServer, ssh_user: SshUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    refused = run_ssh(sshd, tmp_path, "true", identity=ssh_user.encrypted_key)
    assert refused.returncode == 255
    assert "Permission denied (publickey" in refused.stderr
    unlocked = run_ssh(sshd, tmp_path, "echo ok", identity=ssh_user.encrypted_key, askpass=ssh_user.passphrase)
    assert (unlocked.returncode, unlocked.stdout) == (0, "ok\n"), unlocked.stderr


def test_the_agent_signs_for_a_key_the_client_does_not_have(
    sshd: SshServer, ssh_user: SshUser, ssh_agent: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the public half on the client side (ssh_config(5): the agent then signs): proves the agent was used.
    public_only = tmp_path / "agent_key.pub"
    shutil.copy(ssh_user.key_pub, public_only)
    public_only.chmod(0o600)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    assert run_ssh(sshd, tmp_path, "true", identity=public_only).returncode == 255
    monkeypatch.setenv("SSH_AUTH_SOCK", str(ssh_agent))
    done = run_ssh(sshd, tmp_path, "id -un", identity=public_only)
    assert (done.returncode, done.stdout) == (0, f"{TEST_USER}\n"), done.stderr


def test_keyboard_interactive_through_pam_with_the_ssh_client(sshd_pam: SshServer, tmp_path: Path) -> None:
    mark = sshd_pam.log_mark()
    options = ["PreferredAuthentications=keyboard-interactive", "PubkeyAuthentication=no"]
    done = run_ssh(sshd_pam, tmp_path, "id -un", options=options, askpass=TEST_PASSWORD)
    assert (done.returncode, done.stdout) == (0, f"{TEST_USER}\n"), done.stderr
    assert "Accepted keyboard-interactive/pam for sstest" in sshd_pam.wait_for_log("Accepted keyboard", since=mark)
    # The password method itself is off: only keyboard-interactive carries the password.
    password = run_ssh(sshd_pam, tmp_path, "true", options=["PreferredAuthentications=password"], askpass=TEST_PASSWORD)
    assert password.returncode == 255
    assert "Permission denied (keyboard-interactive)" in password.stderr


def test_keyboard_interactive_through_pam_with_paramiko(sshd_pam: SshServer) -> None:
    prompts: list[str] = []

    def answer(title: str, instructions: str, fields: list[tuple[str, bool]]) -> list[str]:
        prompts.extend(prompt for prompt, _echo in fields)
        return [TEST_PASSWORD] * len(fields)

    with paramiko.Transport(socket.create_connection((sshd_pam.host, sshd_pam.port), timeout=5)) as transport:
        transport.start_client(timeout=5)
        key = transport.get_remote_server_key()
        # The host key checked by hand against the server's, as a known_hosts file would be: never AutoAddPolicy.
        assert f"{key.get_name()} {key.get_base64()}" == sshd_pam.host_public_key
        assert transport.auth_interactive(TEST_USER, answer) == []
        channel = transport.open_session(timeout=5)
        channel.exec_command("id -un")
        assert channel.makefile("rb").read() == f"{TEST_USER}\n".encode()
        assert channel.recv_exit_status() == 0
    assert prompts == ["Password: "]


def test_a_jump_host_forwards_and_logs_it(
    sshd: SshServer, jump_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    # -J starts a second ssh that only inherits -F: its options must live in a configuration file.
    known_hosts = write_known_hosts(tmp_path / "known_hosts", jump_sshd, sshd)
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host *\n  BatchMode yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile {known_hosts}\n"
        f"  GlobalKnownHostsFile /dev/null\n  IdentitiesOnly yes\n  IdentityFile {ssh_user.key}\n"
        "  KexAlgorithms curve25519-sha256\n"
    )
    command = ["ssh", "-F", str(config), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
    command += ["-o", f"UserKnownHostsFile={known_hosts}", "-J", f"{TEST_USER}@127.0.0.1:{jump_sshd.port}"]
    command += ["-p", str(sshd.port), f"{TEST_USER}@127.0.0.1", "id -un"]
    # The jump server is shared by the session: only this test's lines count (the engine's tests forward too).
    mark = jump_sshd.log_mark()
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15)
    assert (done.returncode, done.stdout) == (0, f"{TEST_USER}\n"), done.stderr
    line = jump_sshd.wait_for_log(f"target 127.0.0.1 port {sshd.port}", since=mark)
    # ssh -W names itself 127.0.0.1 port 65535 as the originator of the forward.
    assert (
        line
        == f"debug1: server_request_direct_tcpip: originator 127.0.0.1 port 65535, target 127.0.0.1 port {sshd.port}"
    )


def test_a_changed_host_key_is_refused_after_a_restart(
    fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    known_hosts = write_known_hosts(tmp_path / "old_known_hosts", fresh_sshd)
    old_key, port = fresh_sshd.host_public_key, fresh_sshd.port
    fresh_sshd.restart(new_host_key=True)
    assert fresh_sshd.port == port and fresh_sshd.host_public_key != old_key
    command = ssh_command(fresh_sshd, known_hosts, "true", identity=ssh_user.key)
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15)
    assert done.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in done.stderr


def test_killed_sessions_end_with_eof_while_the_listener_stays(
    fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    with long_session(fresh_sshd, ssh_user, tmp_path) as client:
        fresh_sshd.kill_sessions()
        assert client.wait(timeout=5) == 255
    assert fresh_sshd.session_pids() == []
    assert run_ssh(fresh_sshd, tmp_path, "true", identity=ssh_user.key).returncode == 0
    listener = fresh_sshd.pid
    fresh_sshd.stop()
    assert not Path(f"/proc/{listener}").exists()


def test_three_namespace_hosts_answer_over_ssh(
    netns_hosts: NamespaceFactory, ssh_user: SshUser, tmp_path: Path
) -> None:
    started = time.monotonic()
    hosts = netns_hosts(3)
    setup = time.monotonic() - started
    assert setup < 1.5, f"3 namespace hosts took {setup:.2f} s to set up"
    for host in hosts:
        assert host.sshd.known_hosts_line().startswith(f"{host.address} ssh-ed25519 ")  # port 22: no brackets
        done = run_ssh(host.sshd, tmp_path, "hostname -I", identity=ssh_user.key)
        assert (done.returncode, done.stdout.split()) == (0, [host.address]), done.stderr


def test_a_cut_link_times_out_and_a_restored_one_works(
    netns_hosts: NamespaceFactory, ssh_user: SshUser, tmp_path: Path
) -> None:
    (host,) = netns_hosts(1)
    assert run_ssh(host.sshd, tmp_path, "true", identity=ssh_user.key).returncode == 0
    host.cut_link()
    started = time.monotonic()
    cut = run_ssh(host.sshd, tmp_path, "true", identity=ssh_user.key, options=["ConnectTimeout=2"])
    assert cut.returncode == 255
    assert "timed out" in cut.stderr or "No route to host" in cut.stderr, cut.stderr
    assert time.monotonic() - started < 4
    host.restore_link()
    done = run_ssh(host.sshd, tmp_path, "echo ok", identity=ssh_user.key, options=["ConnectTimeout=2"])
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr
    with long_session(host.sshd, ssh_user, tmp_path) as client:
        host.kill_sshd_sessions()
        assert client.wait(timeout=5) == 255
    assert run_ssh(host.sshd, tmp_path, "true", identity=ssh_user.key).returncode == 0


def test_a_lab_leaves_nothing_behind(netns_available: None, ssh_folder: Path, ssh_user: SshUser) -> None:
    folder = ssh_folder / "lab-teardown"
    with NetnsLab(folder, authorized_keys=ssh_user.authorized_keys) as lab:
        (host,) = lab.add_hosts(1)
        listener = host.sshd.pid
    assert host.namespace not in ip("netns", "list")
    links = ip("-o", "link", "show")
    assert host.veth not in links and lab.bridge not in links
    assert not Path(f"/proc/{listener}").exists()
