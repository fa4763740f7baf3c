"""`supportstation agent`: commands handed to a process that has the modules loaded behave exactly as run directly,
the agent serves only its user, and a missing, stopped or killed agent never stops a command from running."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation import __version__, paths
from supportstation.agent import is_starting_or_running
from supportstation.agent_client import ask, connect, run_through_agent, send_request
from tests.agent_processes import agent_processes
from tests.servers import sshd as servers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the agent needs Linux")


def environment_for(socket_path: Path) -> dict[str, str]:
    # The test session sets SUPPORTSTATION_NO_AGENT for every other test; these use their own agent.
    return {
        **{name: value for name, value in os.environ.items() if name != "SUPPORTSTATION_NO_AGENT"},
        "LANG": "C.UTF-8",
        "LANGUAGE": "",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "SUPPORTSTATION_VAULT_PASSWORD": "vault password for the tests",
        "SUPPORTSTATION_AGENT_SOCKET": str(socket_path),
    }


class Lab:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "agent" / "agent.sock"
        self.environment = environment_for(self.socket)
        self.environment["XDG_CONFIG_HOME"] = str(folder / "config")  # the user's settings, for `command_agent`
        self.data = folder / "data"

    def turn_autostart(self, on: bool) -> None:
        settings = self.folder / "config" / paths.APP_NAME / "settings.json"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps({"command_agent": on}))

    def run_in_terminal(self, *arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        """The command typed in a terminal (its standard input and error on one), as an engineer runs it: its exit
        status, standard output, and what it wrote on the terminal."""
        controller, terminal = pty.openpty()
        try:
            done = subprocess.run(self.command(*arguments), stdin=terminal, stdout=subprocess.PIPE, stderr=terminal,
                                  text=True, timeout=120, env=env or self.environment)  # fmt: skip
            os.close(terminal)
            terminal = -1
            written = b""
            with contextlib.suppress(OSError):  # EIO once everything written was read and the terminal is closed
                while chunk := os.read(controller, 4096):
                    written += chunk
            return done.returncode, done.stdout, written.decode()
        finally:
            os.close(controller)
            if terminal >= 0:
                os.close(terminal)

    def command(self, *arguments: str) -> list[str]:
        return [sys.executable, "-m", "supportstation", "--data-dir", str(self.data), *arguments]

    def run(self, *arguments: str, **options: object) -> subprocess.CompletedProcess[str]:
        environment = options.pop("env", self.environment)
        return subprocess.run(self.command(*arguments), capture_output=True, text=True, timeout=120,
                              env=environment, **options)  # type: ignore[call-overload]  # fmt: skip

    def served(self) -> int:
        status = ask({"ping": True}, self.socket)
        assert status is not None, "the agent does not answer"
        return int(status["served"])

    def pid(self) -> int:
        status = ask({"ping": True}, self.socket)
        assert status is not None
        return int(status["pid"])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    started = lab.run("agent", "start", "--idle-minutes", "10")
    assert started.returncode == 0, started.stderr
    pid = lab.pid()
    try:
        yield lab
    finally:
        lab.run("agent", "stop")
        with pytest.raises(ProcessLookupError):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)


def test_start_status_and_stop(lab: Lab) -> None:
    folder = lab.socket.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(lab.socket.stat().st_mode) == 0o600
    status = lab.run("agent", "status")
    assert status.returncode == 0 and f"process {lab.pid()}" in status.stdout, status.stderr
    again = lab.run("agent", "start")
    assert again.returncode == 0 and "already runs" in again.stdout
    assert lab.served() == 0, "the agent's own commands run in the caller"

    stopped = lab.run("agent", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not lab.socket.exists()
    gone = lab.run("agent", "status")
    assert gone.returncode == 1 and "No agent runs" in gone.stdout


def test_the_agent_keeps_no_secret_from_the_environment_it_started_in(lab: Lab) -> None:
    assert lab.run("agent", "stop").returncode == 0
    secrets = {"SUPPORTSTATION_VAULT_PASSWORD": "vault password for the tests", "CLIENT_PASSWORD": "s3cr3t-login"}
    started = lab.run("agent", "start", env={**lab.environment, **secrets})
    assert started.returncode == 0, started.stderr
    kept = Path(f"/proc/{lab.pid()}/environ").read_bytes()
    assert b"HOME=" in kept and b"SUPPORTSTATION_AGENT_SOCKET=" in kept
    for name, value in secrets.items():
        assert name.encode() not in kept and value.encode() not in kept
    # A command still has its caller's environment: the vault opens with the password it was given.
    done = lab.run("audit", "verify", "--json")
    assert done.returncode == 0 and lab.served() == 1, done.stdout + done.stderr


def test_a_command_through_the_agent_is_the_same_as_run_here(
    lab: Lab, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    key = ["-i", str(ssh_user.key), "--accept-new-host-key"]
    script = "echo out; echo 'érr' >&2; exit 3"
    through = lab.run("run", sshd.url, *key, "--", script)
    assert lab.served() == 1
    direct = lab.run("run", sshd.url, *key, "--", script, env={**lab.environment, "SUPPORTSTATION_NO_AGENT": "1"})
    assert lab.served() == 1
    assert (through.returncode, through.stdout, through.stderr) == (direct.returncode, direct.stdout, direct.stderr)
    assert through.returncode == 3 and through.stdout == "out\n" and "érr" in through.stderr

    # Its working folder, environment and language are the caller's: a relative data folder, French help.
    in_folder = [sys.executable, "-m", "supportstation", "--data-dir", "here", "tickets", "list"]
    relative = subprocess.run(in_folder, capture_output=True, text=True, timeout=60, cwd=lab.folder,
                              env=lab.environment)  # fmt: skip
    assert relative.returncode == 0, relative.stderr
    assert (lab.folder / "here").is_dir()
    french = {**lab.environment, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"}
    helped = lab.run("run", "--help", env=french)
    here = lab.run("run", "--help", env={**french, "SUPPORTSTATION_NO_AGENT": "1"})
    assert helped.returncode == 0 and helped.stdout == here.stdout and "commande" in helped.stdout
    assert lab.served() == 3

    # Both runs are on record, each once, as direct runs are.
    listed = lab.run("audit", "verify", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert json.loads(listed.stdout)["records"] == 2


def long_run_started(
    lab: Lab, sshd: servers.SshServer, ssh_user: servers.SshUser, then: str = "sleep 60"
) -> subprocess.Popen[str]:
    """`supportstation run` of a minute-long command (or `then`), once the command has started on the host."""
    key = ["-i", str(ssh_user.key), "--accept-new-host-key"]
    command = lab.command("run", sshd.url, *key, "--", f"echo started; {then}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=lab.environment)  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "started\n"
    return process


def test_ctrl_c_reaches_the_command(lab: Lab, sshd: servers.SshServer, ssh_user: servers.SshUser) -> None:
    process = long_run_started(lab, sshd, ssh_user)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err  # as a direct run cancelled by Ctrl-C (remote.commands.EXIT_INTERRUPTED)
    assert lab.served() == 1


def test_a_command_whose_caller_is_killed_is_cancelled_and_recorded(
    lab: Lab, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    # Killed directly, the command would die with its process; through the agent it must not go on for nobody.
    process = long_run_started(lab, sshd, ssh_user)
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while (ask({"ping": True}, lab.socket) or {}).get("running") and time.monotonic() < deadline:
        time.sleep(0.1)
    status = ask({"ping": True}, lab.socket)
    assert status is not None and (status["running"], status["served"]) == (0, 1)
    with sqlite3.connect(paths.under(lab.data).database_file) as database:
        states = [state for (state,) in database.execute("SELECT state FROM remote_run")]
    assert states == ["cancelled"]


def test_the_command_tells_its_caller_its_status_without_waiting_for_the_agent(
    lab: Lab, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    # Taking a finished command's process apart takes the kernel a while after a fan-out; the caller is told the
    # status by the command itself, so it does not wait for that, nor for the agent to reap the process.
    process = long_run_started(lab, sshd, ssh_user, then="sleep 1; echo done; exit 4")
    agent = lab.pid()
    os.kill(agent, signal.SIGSTOP)  # the agent can neither reap the command nor answer its caller
    try:
        out, err = process.communicate(timeout=30)
    finally:
        os.kill(agent, signal.SIGCONT)
    assert (process.returncode, out) == (4, "done\n"), err
    assert lab.served() == 1


def test_a_killed_or_stopped_agent_never_stops_a_command(lab: Lab) -> None:
    os.kill(lab.pid(), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while connect(lab.socket) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.socket.exists(), "a killed agent leaves its socket behind"
    alone = lab.run("tickets", "list")
    assert alone.returncode == 0, alone.stderr
    restarted = lab.run("agent", "start")  # and a new agent takes the place of the dead one
    assert restarted.returncode == 0, restarted.stderr
    assert lab.run("tickets", "list").returncode == 0 and lab.served() == 1


def test_the_window_and_other_versions_run_in_the_caller(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTSTATION_AGENT_SOCKET", str(lab.socket))
    monkeypatch.delenv("SUPPORTSTATION_NO_AGENT")
    assert run_through_agent([], __version__) is None  # no command: the window opens here
    assert run_through_agent(["--demo"], __version__) is None
    assert run_through_agent(["agent", "status"], __version__) is None
    # Another installation's command, told this agent's socket (each version has its own socket otherwise): it runs
    # itself, and the agent goes on serving its own version.
    assert run_through_agent(["version"], "0.0.0-other") is None
    assert lab.served() == 0 and lab.pid()


def agents_for(socket_path: Path) -> list[int]:
    """The agents started with this socket, listening or still loading."""
    return sorted(agent_processes(socket_path))


def answering(lab: Lab, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ask({"ping": True}, lab.socket)
        if status is not None:
            return int(status["pid"])
        time.sleep(0.1)
    pytest.fail(f"no agent answered on {lab.socket} within {timeout:g} s")


def test_a_command_typed_in_a_terminal_starts_an_agent_for_the_next_commands(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    status, listed, said = lab.run_in_terminal("tickets", "list")
    try:
        assert status == 0, said
        assert "Starting the agent in the background" in said
        assert len(agents_for(lab.socket)) == 1, "the command started one agent as it ended"
        pid = answering(lab)
        again, listed_again, said_again = lab.run_in_terminal("tickets", "list")
        assert (again, listed_again) == (0, listed) and lab.served() == 1
        assert "agent" not in said_again and agents_for(lab.socket) == [pid], "a command served starts no other"
    finally:
        lab.run("agent", "stop")
        for pid in agents_for(lab.socket):  # one still loading, if the test failed before it answered
            os.kill(pid, signal.SIGTERM)
    assert_stops(pid)


def test_no_agent_is_started_by_scripts_or_when_that_is_turned_off(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    # A script, cron or CI: no terminal. Nothing may be left behind.
    assert lab.run("tickets", "list").returncode == 0
    assert agents_for(lab.socket) == []
    # SUPPORTSTATION_NO_AGENT.
    status, _listed, said = lab.run_in_terminal("tickets", "list", env={**lab.environment,
                                                                      "SUPPORTSTATION_NO_AGENT": "1"})  # fmt: skip
    assert status == 0 and said == "" and agents_for(lab.socket) == []
    # The user's setting, whatever --data-dir the command names.
    lab.turn_autostart(False)
    status, _listed, said = lab.run_in_terminal("tickets", "list")
    assert status == 0 and said == "" and agents_for(lab.socket) == []
    # Nor the agent's own commands.
    lab.turn_autostart(True)
    status, _listed, _said = lab.run_in_terminal("agent", "status")
    assert status == 1 and agents_for(lab.socket) == []


def test_the_agent_never_imports_from_the_folder_it_was_started_in(tmp_path: Path) -> None:
    # A module lying in the folder where a command happened to start the agent would be in every command after.
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "selectors.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\nraise ImportError\n")
    lab = Lab(tmp_path / "lab")
    # The caller's own interpreter is told not to look there (-P), as the console script never does.
    started = subprocess.run([sys.executable, "-P", *lab.command("agent", "start")[1:]], capture_output=True,
                             text=True, timeout=120, cwd=folder, env=lab.environment)  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        assert not (tmp_path / "imported").exists()
        assert Path(f"/proc/{lab.pid()}/cwd").resolve() == Path("/"), "it keeps no folder of the caller's busy"
        command = [sys.executable, "-P", "-m", "supportstation", "--data-dir", "here", "tickets", "list"]
        relative = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=folder, env=lab.environment)
        assert relative.returncode == 0 and lab.served() == 1, relative.stderr  # commands still run in theirs
        assert (folder / "here").is_dir()
    finally:
        lab.run("agent", "stop")


def test_a_command_through_the_agent_creates_files_with_its_callers_umask(lab: Lab) -> None:
    private = lab.folder / "private"
    done = subprocess.run([sys.executable, "-m", "supportstation", "--data-dir", str(private), "tickets", "list"],
                          capture_output=True, text=True, timeout=60, env=lab.environment, umask=0o077)  # fmt: skip
    assert done.returncode == 0 and lab.served() == 1, done.stderr
    created = [path for path in private.rglob("*") if path.is_file()]
    assert created, "the command created its database"
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"


def test_an_agent_whose_code_changed_lets_the_caller_run_and_stops(tmp_path: Path) -> None:
    # Code the agent loaded, outside the standard library: a sitecustomize module on PYTHONPATH stands for an
    # upgraded package or an edited checkout, without touching the project's files.
    code = tmp_path / "code"
    code.mkdir()
    (code / "sitecustomize.py").write_text("# loaded by every interpreter started with this PYTHONPATH\n")
    lab = Lab(tmp_path / "lab")
    lab.environment["PYTHONPATH"] = str(code)
    assert lab.run("agent", "start").returncode == 0
    pid = lab.pid()
    try:
        assert lab.run("tickets", "list").returncode == 0 and lab.served() == 1
        later = time.time() + 60
        os.utime(code / "sitecustomize.py", (later, later))
        ran_here = lab.run("tickets", "list")
        assert ran_here.returncode == 0, ran_here.stderr
        assert_stops(pid)
        # Nothing calls: it notices by itself within seconds, instead of idling for half an hour.
        assert lab.run("agent", "start").returncode == 0
        pid = lab.pid()
        os.utime(code / "sitecustomize.py", (later + 60, later + 60))
        assert_stops(pid)
    finally:
        lab.run("agent", "stop")


def test_starting_an_agent_while_one_is_loading_says_it_runs(tmp_path: Path) -> None:
    # A command typed in a terminal has just started an agent, still loading, and the engineer types `agent start`.
    lab = Lab(tmp_path)
    loading = subprocess.Popen(lab.command("agent", "serve"), env=lab.environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not is_starting_or_running(lab.socket):  # it holds its lock from before it loads
            assert time.monotonic() < deadline and loading.poll() is None, "the agent did not take its lock"
            time.sleep(0.01)
        started = lab.run("agent", "start")
        assert started.returncode == 0 and "already runs" in started.stdout, started.stdout + started.stderr
        assert lab.pid() == loading.pid
        assert lab.run("tickets", "list").returncode == 0 and lab.served() == 1
    finally:
        lab.run("agent", "stop")
        loading.wait(timeout=30)


def test_an_agent_that_closes_before_taking_a_command_lets_it_run_here(tmp_path: Path) -> None:
    # An agent stopping (upgraded, idle) closes its socket with callers still waiting to be taken: their commands
    # did not run, so they run on their own instead of failing.
    lab = Lab(tmp_path)
    lab.socket.parent.mkdir(mode=0o700)
    closing = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    closing.bind(str(lab.socket))
    closing.listen(8)
    with closing:
        waiting = subprocess.Popen(lab.command("tickets", "list"), env=lab.environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        taken, _address = closing.accept()
        header, descriptors, _flags, _address = socket.recv_fds(taken, 4, 3)
        for descriptor in descriptors:
            os.close(descriptor)
        length = int.from_bytes(header, "big")
        while length:  # the whole request read: the caller waits for an answer that never comes
            length -= len(taken.recv(length))
        taken.close()
        _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and "unknown" not in err, err


SYSTEM_PYTHON = "/usr/bin/python3"  # the other user cannot run the project's virtual environment under /root


@pytest.mark.skipif(not os.access(SYSTEM_PYTHON, os.X_OK), reason="no system Python to run as another user")
def test_another_user_is_refused(ssh_folder: Path, ssh_user: servers.SshUser) -> None:
    # Even with the agent's folder opened to everyone by mistake, it checks who is calling (SO_PEERCRED). The lab is
    # where the other user can reach it: below the SSH fixtures' folder, not below root's private temporary one.
    lab = Lab(Path(tempfile.mkdtemp(prefix="agent-", dir=ssh_folder)))
    lab.folder.chmod(0o755)
    assert lab.run("agent", "start").returncode == 0
    try:
        lab.socket.parent.chmod(0o755)
        lab.socket.chmod(0o666)
        script = (
            "import json, os, socket, struct, sys\n"
            "connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            f"connection.connect({str(lab.socket)!r})\n"
            "body = json.dumps({'run': ['version'], 'version': 'x', 'cwd': '/', 'environ': {}}).encode()\n"
            "try:\n"
            "    socket.send_fds(connection, [struct.pack('!I', len(body))], [0, 1, 2])\n"
            "    connection.sendall(body)\n"
            "    print('answered' if connection.recv(100) else 'closed')\n"
            "except (ConnectionResetError, BrokenPipeError):\n"
            "    print('closed')\n"
        )
        other = subprocess.run(["runuser", "-u", ssh_user.name, "--", SYSTEM_PYTHON, "-c", script],
                               capture_output=True, text=True, timeout=30, cwd="/")  # fmt: skip
        assert other.returncode == 0, other.stderr
        assert other.stdout.strip() == "closed", "the connection is closed without an answer"
        lab.socket.parent.chmod(0o700)
        assert lab.served() == 0 and lab.run("tickets", "list").returncode == 0 and lab.served() == 1
    finally:
        lab.socket.parent.chmod(0o700)  # a client talks only to an agent in a private folder
        lab.run("agent", "stop")
        shutil.rmtree(lab.folder, ignore_errors=True)


def test_a_caller_that_never_speaks_does_not_hold_the_agent_up(lab: Lab) -> None:
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(str(lab.socket))
    try:
        assert lab.run("tickets", "list").returncode == 0  # served once the silent caller's time is up
        assert lab.served() == 1
    finally:
        silent.close()
    broken = connect(lab.socket)
    assert broken is not None
    with broken:
        send_request(broken, {"run": "not a list of arguments"})
        assert broken.recv(100) == b""
    assert lab.served() == 1


def test_an_agent_whose_socket_is_removed_stops(tmp_path: Path) -> None:
    # Its folder deleted (a temporary folder cleaned, a new login session): nobody can reach it any more.
    lab = Lab(tmp_path)
    assert lab.run("agent", "start").returncode == 0
    pid = lab.pid()
    shutil.rmtree(lab.socket.parent)
    assert_stops(pid)


def assert_stops(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"the agent (process {pid}) did not stop")


def test_the_agent_stops_by_itself_when_unused(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    assert lab.run("agent", "start", "--idle-minutes", "0.02").returncode == 0  # 1.2 s
    assert_stops(lab.pid())
    assert not lab.socket.exists()
