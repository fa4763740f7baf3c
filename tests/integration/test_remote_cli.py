"""`supportstation run`, `actions` and `files` as an engineer (or a script) runs them, against the real test sshd.

The issue's "done when": with the CLI alone, learn a key, run an action and a command on a ticket, upload and
download a file, fan out to several hosts, find it all on the ticket's timeline, and `audit verify` passes, then
fails once a record is edited. Then `kill -9` of the CLI mid-run loses at most about a second of output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.servers import sshd as servers

TICKET = "INC-2026-01042"
ENVIRONMENT = {
    **os.environ,
    "QT_QPA_PLATFORM": "offscreen",
    "LANG": "C.UTF-8",
    "LANGUAGE": "",
    # No keyring in the subprocess: the encrypted-file vault, unlocked by this password, holds the audit key.
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    "SUPPORTSTATION_VAULT_PASSWORD": "vault password for the tests",
    "LOGIN_PASSWORD": servers.TEST_PASSWORD,
}


def command(data: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "supportstation", "--data-dir", str(data), "--demo", *arguments]


def supportstation(data: Path, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data, *arguments), capture_output=True, text=True, timeout=120, env=ENVIRONMENT, input=stdin
    )


def demo_database(data: Path) -> Path:
    return next((data / "data").rglob("*demo*.sqlite3"))


def timeline(data: Path) -> list[dict[str, object]]:
    shown = supportstation(data, "tickets", "show", TICKET, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["timeline"]


def test_an_unknown_host_key_is_refused_unless_accepted(tmp_path: Path, sshd: servers.SshServer,
                                                         ssh_user: servers.SshUser) -> None:  # fmt: skip
    refused = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--", "true")
    assert refused.returncode == 255
    fingerprint = subprocess.run(["ssh-keygen", "-lf", f"{sshd.host_key_path}.pub"], capture_output=True,
                                 text=True, check=True).stdout.split()[1]  # fmt: skip
    assert "is not known" in refused.stderr and fingerprint in refused.stderr
    # Said once, after the error: how to learn the key once it is checked.
    assert refused.stderr.count("--accept-new-host-key") == 1
    assert refused.stderr.index("is not known") < refused.stderr.index("--accept-new-host-key")
    assert (
        not (tmp_path / "data" / "known_hosts").exists()
        or sshd.host_public_key not in (tmp_path / "data" / "known_hosts").read_text()
    )

    learned = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--accept-new-host-key", "--",
                             "echo", "learned")  # fmt: skip
    assert learned.returncode == 0, learned.stderr
    assert learned.stdout == "learned\n" and "--accept-new-host-key" not in learned.stderr
    # Learned for good: the next run needs no flag.
    again = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--", "exit 7")
    assert again.returncode == 7


def test_the_engineers_day_with_the_cli_alone(tmp_path: Path, sshd: servers.SshServer,
                                               netns_hosts, ssh_user: servers.SshUser) -> None:  # fmt: skip
    key = ["-i", str(ssh_user.key)]
    first = supportstation(tmp_path, "run", sshd.url, *key, "--accept-new-host-key", "--ticket", TICKET, "--",
                           "uname -s; echo oops >&2; exit 3")  # fmt: skip
    assert first.returncode == 3, first.stderr
    assert first.stdout == "Linux\n" and "oops" in first.stderr

    action = supportstation(tmp_path, "actions", "run", "linux.disk_usage", sshd.url, *key, "--ticket", TICKET)
    assert action.returncode == 0, action.stderr
    assert "Mount point" in action.stdout and "/" in action.stdout

    upload_source = tmp_path / "notes.txt"
    upload_source.write_text("configuration de la box\n", encoding="utf-8")
    remote_path = f"/tmp/supportstation-test-{os.getpid()}.txt"
    up = supportstation(tmp_path, "files", "upload", sshd.url, *key, "--ticket", TICKET, str(upload_source),
                        remote_path)  # fmt: skip
    assert up.returncode == 0, up.stderr
    down_target = tmp_path / "back.txt"
    down = supportstation(tmp_path, "files", "download", sshd.url, *key, "--ticket", TICKET, "--attach",
                          remote_path, str(down_target))  # fmt: skip
    assert down.returncode == 0, down.stderr
    assert down_target.read_bytes() == upload_source.read_bytes()
    Path(remote_path).unlink(missing_ok=True)

    hosts = netns_hosts(3)
    targets = [f"ssh://sstest@{host.address}:22" for host in hosts]
    fan = supportstation(tmp_path, "run", *targets, "ssh://sstest@127.0.0.1:1", *key, "--accept-new-host-key",
                         "--ticket", TICKET, "--json", "--", "hostname -I")  # fmt: skip
    results = [json.loads(line) for line in fan.stdout.splitlines()]
    assert fan.returncode == 255  # one target could not be reached
    assert [r["state"] for r in results] == ["succeeded"] * 3 + ["not_connected"]
    assert all(host.address in r["stdout"] for host, r in zip(hosts, results, strict=False))
    assert "refused the connection" in results[3]["error"]

    events = timeline(tmp_path)
    kinds = [event["kind"] for event in events]
    assert kinds.count("command") == 1 + 1 + 4
    assert kinds.count("host_key") == 1 + 3  # the sshd's key, then each namespace host's
    assert kinds.count("file_transfer") == 2 and "attachment" in kinds
    first_run = next(event for event in events if event["kind"] == "command")
    assert "exit code 3" in first_run["summary"] and "Linux" in first_run["body"]

    verified = supportstation(tmp_path, "audit", "verify", "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["intact"] and report["records"] == 1 + 1 + 2 + 4

    database = demo_database(tmp_path)
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE audit_record SET exit_code = 0 WHERE sequence = 1")
    tampered = supportstation(tmp_path, "audit", "verify")
    assert tampered.returncode == 1 and "Record 1 was altered" in tampered.stdout


def test_password_from_the_environment_and_never_on_screen(tmp_path: Path, sshd: servers.SshServer) -> None:
    result = supportstation(tmp_path, "run", sshd.url.replace("ssh://", "ssh://"), "--password-env", "LOGIN_PASSWORD",
                            "--accept-new-host-key", "--json", "--", "echo", "$LOGIN_PW_ECHO")  # fmt: skip
    assert result.returncode == 0, result.stderr
    missing = supportstation(tmp_path, "run", sshd.url, "--password-env", "NOT_SET_ANYWHERE", "--", "true")
    assert missing.returncode == 2 and "NOT_SET_ANYWHERE is not set" in missing.stderr
    wrong_env = {**ENVIRONMENT, "LOGIN_PASSWORD": "definitely wrong"}
    wrong = subprocess.run(command(tmp_path, "run", sshd.url, "--password-env", "LOGIN_PASSWORD", "--", "true"),
                           capture_output=True, text=True, timeout=60, env=wrong_env)  # fmt: skip
    assert wrong.returncode == 255 and "refused the login" in wrong.stderr
    assert "definitely wrong" not in wrong.stderr + wrong.stdout


def test_a_locked_vault_stops_the_run_before_any_host_is_reached(tmp_path: Path, sshd: servers.SshServer,
                                                                  ssh_user: servers.SshUser) -> None:  # fmt: skip
    # The vault is unlocked in a thread while the database opens: its refusal still comes first, alone and clear.
    created = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--accept-new-host-key", "--", "true")
    assert created.returncode == 0, created.stderr
    connections = sshd.log_text().count("Accepted publickey")
    no_password = {key: value for key, value in ENVIRONMENT.items() if key != "SUPPORTSTATION_VAULT_PASSWORD"}
    wrong_password = {**ENVIRONMENT, "SUPPORTSTATION_VAULT_PASSWORD": "not the vault password"}
    for environment, message in ((no_password, "set the environment variable SUPPORTSTATION_VAULT_PASSWORD"),
                                 (wrong_password, "password")):  # fmt: skip
        refused = subprocess.run(command(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--", "true"),
                                 capture_output=True, text=True, timeout=60, env=environment)  # fmt: skip
        assert refused.returncode == 1, refused.stderr
        assert message in refused.stderr and refused.stdout == ""
        assert "not the vault password" not in refused.stderr
    assert sshd.log_text().count("Accepted publickey") == connections


def test_a_run_logs_in_on_the_key_exchange_it_started_while_the_vault_opened(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    learned = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--accept-new-host-key", "--", "true")
    assert learned.returncode == 0, learned.stderr
    before = sshd.log_text().count("Connection from ")
    done = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--", "echo one")
    assert done.returncode == 0 and done.stdout == "one\n", done.stderr
    assert sshd.log_text().count("Connection from ") == before + 1  # one connection: started early, then logged in


def test_hosts_given_by_address_are_reached_before_the_database_opens(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    # Their key exchanges start before the database is even read: with a damaged one, the host sees a connection
    # and no login, and the command names the database's problem.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "supportstation.sqlite3").write_bytes(b"garbage" * 1000)
    before, logins = sshd.log_text().count("Connection from "), sshd.log_text().count("Accepted publickey")
    done = subprocess.run(
        [sys.executable, "-m", "supportstation", "--data-dir", str(tmp_path), "run", sshd.url, "-i",
         str(ssh_user.key), "--accept-new-host-key", "--", "echo ran"],
        capture_output=True, text=True, timeout=120, env=ENVIRONMENT,
    )  # fmt: skip
    assert done.returncode == 1 and "damaged" in done.stderr and done.stdout == "", done.stderr
    deadline = time.monotonic() + 10
    while sshd.log_text().count("Connection from ") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sshd.log_text().count("Connection from ") == before + 1
    assert sshd.log_text().count("Accepted publickey") == logins


# Loaded at import by the libraries, yet never used by a run over SSH: Invoke (by paramiko, for ssh_config's Match
# exec, which is never run), SQLAlchemy's PostgreSQL dialect (by naming an option of it on a model), X.509 (WinRM's
# certificates), the ticket workspace's reads and the plugin manager. Together ~0.25 s of every command's start.
NOT_USED_BY_A_RUN = ("invoke.tasks", "yaml", "sqlalchemy.dialects.postgresql", "cryptography.x509",
                     "supportstation.tickets.details", "pluggy")  # fmt: skip


def test_a_run_loads_no_module_it_does_not_use(tmp_path: Path, sshd: servers.SshServer,
                                               ssh_user: servers.SshUser) -> None:  # fmt: skip
    code = (
        "import sys\n"
        "from supportstation import cli\n"
        "status = cli.main(sys.argv[1:])\n"
        f"print('loaded:', ','.join(name for name in {NOT_USED_BY_A_RUN!r} if name in sys.modules))\n"
        "sys.exit(status)\n"
    )
    arguments = ["--data-dir", str(tmp_path), "run", sshd.url, "-i", str(ssh_user.key), "--accept-new-host-key"]
    # The first command creates the database: Alembic's migrations load what they need, once.
    first = subprocess.run([sys.executable, "-m", "supportstation", *arguments, "--", "true"], capture_output=True,
                           text=True, timeout=120, env=ENVIRONMENT)  # fmt: skip
    assert first.returncode == 0, first.stderr
    done = subprocess.run([sys.executable, "-c", code, *arguments, "--", "echo ran"], capture_output=True, text=True,
                          timeout=120, env=ENVIRONMENT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran\nloaded: \n"


@pytest.mark.timeout(120)
def test_input_given_to_run_reaches_every_target_and_none_is_waited_for(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    key = ["-i", str(ssh_user.key), "--accept-new-host-key"]
    # Nothing given (the tests' standard input is /dev/null): a command that reads its input ends, as with ssh.
    nothing = supportstation(tmp_path, "run", sshd.url, *key, "--timeout", "30", "--", "cat; echo end")
    assert nothing.returncode == 0 and nothing.stdout == "end\n", nothing.stderr
    # Piped input goes to every target of a fan-out, bytes as they are.
    given = b"ligne \xe9\x00binaire\n" * 1000
    other = sshd.url.replace("127.0.0.1", "localhost")
    fan = subprocess.run(command(tmp_path, "run", sshd.url, other, *key, "--ticket", TICKET, "--json", "--timeout",
                                 "30", "--", "sha256sum"), input=given, capture_output=True, timeout=60,
                         env=ENVIRONMENT)  # fmt: skip
    assert fan.returncode == 0, fan.stderr
    import hashlib

    digest = hashlib.sha256(given).hexdigest()
    results = [json.loads(line) for line in fan.stdout.splitlines()]
    assert [r["stdout"].split()[0] for r in results] == [digest, digest]
    # On the timeline as evidence: how much was given and its hash, not the input itself.
    with sqlite3.connect(demo_database(tmp_path)) as connection:
        rows = connection.execute("SELECT data FROM timeline_event WHERE kind = 'command'").fetchall()
    recorded = [data for data in map(json.loads, (row[0] for row in rows)) if data.get("target") in (sshd.url, other)]
    assert [(data["input_bytes"], data["input_sha256"]) for data in recorded] == [(len(given), digest)] * 2
    # -n sends none; a command that stops reading early ends well; too much input is refused before any host.
    refused = subprocess.run(command(tmp_path, "run", sshd.url, *key, "-n", "--", "wc -c"), input=given,
                             capture_output=True, timeout=60, env=ENVIRONMENT)  # fmt: skip
    assert refused.returncode == 0 and refused.stdout.strip() == b"0", refused.stderr
    early = subprocess.run(command(tmp_path, "run", sshd.url, *key, "--", "head -c 6"), input=given * 100,
                           capture_output=True, timeout=60, env=ENVIRONMENT)  # fmt: skip
    assert early.returncode == 0 and early.stdout == b"ligne ", early.stderr
    before = sshd.log_text().count("Accepted publickey")
    huge = subprocess.run(command(tmp_path, "run", sshd.url, *key, "--", "wc -c"), input=b"x" * (64 * 2**20 + 1),
                          capture_output=True, timeout=60, env=ENVIRONMENT)  # fmt: skip
    assert huge.returncode == 2 and b"over 64 MiB" in huge.stderr and b"files upload" in huge.stderr
    assert sshd.log_text().count("Accepted publickey") == before


def test_a_server_that_never_answers_gets_one_clear_line_not_a_librarys_traceback(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, then never says a word
        port = silent.getsockname()[1]
        quiet = supportstation(tmp_path, "run", f"ssh://a@127.0.0.1:{port}", "--connect-timeout", "2", "--", "true")
    assert quiet.returncode == 255
    assert quiet.stderr.count("\n") == 1 and "Traceback" not in quiet.stderr, quiet.stderr
    assert "accepted the connection but did not complete the SSH handshake within 2 s" in quiet.stderr


def test_a_transfer_says_what_became_of_it_and_stops_at_its_timeout(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    key = ["-i", str(ssh_user.key), "--accept-new-host-key", "--json"]
    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(8 * 2**20))
    remote = f"/tmp/supportstation-timeout-{os.getpid()}.bin"
    slow = supportstation(tmp_path, "files", "upload", sshd.url, *key, "--timeout", "0.01", str(local), remote)
    stopped = json.loads(slow.stdout)
    assert slow.returncode == 124 and stopped["state"] == "timed_out" and "did not end within" in stopped["error"]
    assert not Path(remote).exists()  # what was written is removed
    missing = supportstation(tmp_path, "files", "download", sshd.url, *key, "/no/such/file", "back.bin")
    failed = json.loads(missing.stdout)
    assert missing.returncode == 1 and failed["state"] == "failed" and "no such file or folder" in failed["error"]
    assert failed["local"] == os.path.abspath("back.bin") and failed["size"] is None
    into = Path(tempfile.mkdtemp(prefix="supportstation-into-"))
    into.chmod(0o777)
    try:
        done = supportstation(tmp_path, "files", "upload", sshd.url, *key, str(local), f"{into}/")
        succeeded = json.loads(done.stdout)
        assert done.returncode == 0 and succeeded["state"] == "succeeded" and succeeded["remote"] == f"{into}/big.bin"
    finally:
        shutil.rmtree(into)
    assert set(succeeded) == set(failed) == set(stopped)


def test_a_jump_host_given_by_its_ssh_config_name_is_read_from_the_config(
    tmp_path: Path, sshd: servers.SshServer, jump_sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host jumpbox\n  HostName 127.0.0.1\n  Port {jump_sshd.port}\n  User nobody-here\n"
        f"  IdentityFile {ssh_user.key}\n"
    )
    mark = jump_sshd.log_mark()
    # As with ssh -J: the hop's host is the config's alias; the user written in the hop wins over the config's.
    hop = f"{ssh_user.name}@jumpbox"
    ran = supportstation(tmp_path, "run", sshd.url, "-i", str(ssh_user.key), "--accept-new-host-key", "-J", hop,
                         "--ssh-config", str(config), "--", "echo via the jump")  # fmt: skip
    assert ran.returncode == 0 and ran.stdout == "via the jump\n", ran.stderr
    assert jump_sshd.wait_for_log(f"target {sshd.host} port {sshd.port}", since=mark)


def test_usage_errors_are_clear(tmp_path: Path) -> None:
    no_command = supportstation(tmp_path, "run", "ssh://a@b:22")
    assert no_command.returncode == 2 and "give the command after --" in no_command.stderr
    assert no_command.stderr.startswith("usage: supportstation run [options] TARGET [TARGET …] -- COMMAND")
    bad_target = supportstation(tmp_path, "run", "ftp://x", "--", "true")
    assert bad_target.returncode == 2 and "ftp:// is not supported" in bad_target.stderr
    no_ticket = supportstation(tmp_path, "run", "ssh://a@127.0.0.1:1", "--ticket", "NOPE-1", "--", "true")
    assert no_ticket.returncode == 2 and "No ticket has the reference NOPE-1" in no_ticket.stderr
    # An action that asks for a yes is first checked against the host: no question for a command that cannot run.
    unfit = supportstation(tmp_path, "actions", "run", "cisco.set_vlan_name", "ssh://a@127.0.0.1:1")
    assert unfit.returncode == 2 and "has no command for sh" in unfit.stderr and "--yes" not in unfit.stderr
    # With --json, each object says what became of its host, on standard output only, for run and actions alike.
    for arguments in (("run", "ssh://a@127.0.0.1:1", "--json", "--", "true"),
                      ("actions", "run", "linux.uptime", "ssh://a@127.0.0.1:1", "--json")):  # fmt: skip
        unreachable = supportstation(tmp_path, *arguments)
        assert unreachable.returncode == 255 and "Error" not in unreachable.stderr, unreachable.stderr
        assert json.loads(unreachable.stdout)["state"] == "not_connected"
    unknown_action = supportstation(tmp_path, "actions", "run", "linux.nothing", "ssh://a@127.0.0.1:1")
    assert unknown_action.returncode == 2 and "actions list" in unknown_action.stderr
    # Numbers that make no sense, and key files that cannot be used, are refused before anything is opened.
    for option, value, message in (("--timeout", "-5", "above 0"), ("--connect-timeout", "0", "above 0"),
                                   ("--timeout", "nan", "above 0"), ("--limit", "0", "1 or more"),
                                   ("--timeout", "soon", "not a number of seconds")):  # fmt: skip
        refused = supportstation(tmp_path, "run", "ssh://a@127.0.0.1:1", option, value, "--", "true")
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, option
    secret_key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(secret_key)], check=True)
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("not a key\n")
    not_a_key.chmod(0o600)
    open_key = tmp_path / "open_key"
    open_key.write_bytes(secret_key.read_bytes())
    open_key.chmod(0o644)
    for path, message in ((tmp_path / "missing", "no such file"), (tmp_path, "is a folder"),
                          (Path(f"{secret_key}.pub"), "is a public key"), (not_a_key, "(OpenSSH or PEM format)"),
                          (open_key, "Permissions 0644")):  # fmt: skip
        refused = supportstation(tmp_path, "run", "ssh://a@127.0.0.1:1", "-i", str(path), "--", "true")
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "cryptography.io" not in refused.stderr and "refused the connection" not in refused.stderr
    # An IPv6 address is written as ssh and URLs write it, with its port after the brackets.
    ipv6 = supportstation(tmp_path, "run", "ssh://a@[::1]:1", "--", "true")
    assert ipv6.returncode == 255 and ": [::1]:1 " in ipv6.stderr and "::1:1" not in ipv6.stderr, ipv6.stderr
    listed = supportstation(tmp_path, "actions", "list", "--json")
    ids = {action["id"] for action in json.loads(listed.stdout)}
    assert {"linux.uptime", "linux.disk_usage", "linux.memory", "linux.failed_units", "linux.journal_errors",
            "linux.network_addresses", "linux.listening_ports"} <= ids  # fmt: skip


@pytest.mark.timeout(90)
def test_kill_9_of_the_cli_mid_run_loses_at_most_a_second(tmp_path: Path, sshd: servers.SshServer,
                                                           ssh_user: servers.SshUser) -> None:  # fmt: skip
    key = ["-i", str(ssh_user.key)]
    learned = supportstation(tmp_path, "run", sshd.url, *key, "--accept-new-host-key", "--", "true")
    assert learned.returncode == 0, learned.stderr
    script = "i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); sleep 0.05; done"
    process = subprocess.Popen(command(tmp_path, "run", sshd.url, *key, "--ticket", TICKET, "--", script),
                               stdout=subprocess.PIPE, env=ENVIRONMENT)  # fmt: skip
    seen: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append((time.monotonic(), line.decode().strip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while len(seen) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_at = time.monotonic()
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    reader.join(5)
    assert len(seen) >= 60, "the command did not stream"

    database = demo_database(tmp_path)
    with sqlite3.connect(database) as connection:
        run_id, state = connection.execute("SELECT id, state FROM remote_run ORDER BY id DESC LIMIT 1").fetchone()
        stored = b"".join(row[0] for row in connection.execute(
            "SELECT data FROM run_chunk WHERE run_id = ? ORDER BY sequence", (run_id,)))  # fmt: skip
    assert state == "running"  # nobody was left to say otherwise
    stored_lines = set(stored.decode().splitlines())
    older_than_a_second = [line for at, line in seen if at < killed_at - 1.2]
    assert older_than_a_second, "nothing was shown more than a second before the kill"
    assert set(older_than_a_second) <= stored_lines

    # The next command finds the interrupted run and closes it, keeping what was stored.
    supportstation(tmp_path, "run", sshd.url, *key, "--", "true")
    with sqlite3.connect(database) as connection:
        state, error = connection.execute("SELECT state, error FROM remote_run WHERE id = ?", (run_id,)).fetchone()
    assert state == "connection_lost" and "stopped while the command ran" in error
    verified = supportstation(tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.timeout(120)
def test_a_closed_output_or_sigterm_stops_the_run_quietly_and_it_is_recorded_so(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    key = ["-i", str(ssh_user.key), "--accept-new-host-key"]
    # `… | head`: the reader is gone. As for ssh, the command stops, quietly, with the status SIGPIPE gives.
    for arguments in (("tickets", "list"), ("run", sshd.url, *key, "--", "seq 1 10000000")):
        process = subprocess.Popen(command(tmp_path, *arguments), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=ENVIRONMENT)  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(60) == 141 and errors == "", errors
    with sqlite3.connect(demo_database(tmp_path)) as connection:
        state, error = connection.execute("SELECT state, error FROM remote_run ORDER BY id DESC LIMIT 1").fetchone()
    assert state == "cancelled" and "output of the command line was closed" in error

    # SIGTERM (a service manager, kill): the runs stop, say why, and the status is SIGTERM's, not Ctrl-C's.
    process = subprocess.Popen(command(tmp_path, "run", sshd.url, *key, "--", "echo started; sleep 30"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENVIRONMENT)  # fmt: skip
    assert process.stdout is not None and process.stdout.readline() == b"started\n"
    process.terminate()
    _out, errors = process.communicate(timeout=30)
    assert process.returncode == 143 and "asked to end (SIGTERM)" in errors.decode()


def test_host_facts_are_read_by_the_plugins_collectors_and_kept_on_the_host(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    inventory = tmp_path / "hosts.csv"
    inventory.write_text(f"name;address;port;os;user\nsrv-test;{sshd.host};{sshd.port};Debian 12;{sshd.user}\n")
    imported = supportstation(tmp_path, "hosts", "import", str(inventory), "--client", "Mairie de Saint-Aubin")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    read = supportstation(tmp_path, "hosts", "facts", "srv-test", "-i", str(ssh_user.key), "--accept-new-host-key",
                          "--ticket", TICKET, "--json")  # fmt: skip
    assert read.returncode == 0, read.stderr
    facts = json.loads(read.stdout)
    assert facts["problems"] == [] and facts["facts"]["kernel"] == os.uname().release
    assert facts["facts"]["architecture"] == os.uname().machine
    # Kept on the host, and the collector's run is evidence on the ticket like any action's.
    listed = json.loads(supportstation(tmp_path, "hosts", "list", "--json").stdout)
    assert next(host for host in listed if host["name"] == "srv-test")["facts"]["kernel"] == os.uname().release
    assert any(entry.get("kind") == "command" and "linux.facts" in json.dumps(entry) for entry in timeline(tmp_path))
    # A switch of the demo has a collector (cisco-ios), but no answer at its made-up address; a host without any
    # collector for its kind says so.
    nothing = supportstation(tmp_path, "hosts", "facts", "fw-office", "--connect-timeout", "2")
    assert nothing.returncode == 1 and "no plugin has a fact collector" in nothing.stderr
    unknown = supportstation(tmp_path, "hosts", "facts", "no-such-host")
    assert unknown.returncode == 2 and "no host of the inventory is named no-such-host" in unknown.stderr
