"""`supportstation procedures run / resume / runs` as a script runs them, against the real test sshd: answers from the
command line, a clean stop when one is missing, a failed check retried, and `kill -9` in the middle of a step."""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.integration.test_remote_cli import ENVIRONMENT as CLI_ENVIRONMENT
from tests.integration.test_remote_cli import TICKET, command, supportstation, timeline
from tests.servers import sshd as servers

CHECKUP = """\
id: test.checkup
title: {fr: Contrôle, en: Check-up}
parameters:
  - {name: folder, type: string}
steps:
  - id: read-me
    instruction: Tell the customer the check-up starts.
  - id: flag
    run:
      sh: cat {folder}/flag
      expect: {stdout_matches: '^ready$'}
  - id: agree
    confirm: {text: The customer agrees to the restart}
  - id: restart
    run: {sh: 'echo restarting; sleep {pause}'}
    when: pause >= 0
  - id: done
    note: Check-up finished.
"""


def procedure_file(tmp_path: Path, pause: int) -> Path:
    path = tmp_path / "checkup.yaml"
    text = CHECKUP.replace("  - {name: folder, type: string}", "  - {name: folder, type: string}\n"
                           f"  - {{name: pause, type: integer, default: {pause}}}")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


def shared_folder(ssh_folder: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cli-procedure-", dir=ssh_folder))
    folder.chmod(0o777)
    return folder


def connection(sshd: servers.SshServer, ssh_user: servers.SshUser) -> list[str]:
    return ["--target", sshd.url, *login(ssh_user), "--ticket", TICKET]


def login(ssh_user: servers.SshUser) -> list[str]:
    """The connection options, given again on resume, as to `run` (the host is a URL, not an inventory host)."""
    return ["-i", str(ssh_user.key), "--accept-new-host-key"]


def test_a_run_stops_cleanly_for_answers_and_resumes_with_them(
    tmp_path: Path, ssh_folder: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    folder = shared_folder(ssh_folder)
    (folder / "flag").write_text("not yet\n")
    (folder / "flag").chmod(0o644)
    path = procedure_file(tmp_path, 0)
    args = ["procedures", "run", str(path), *connection(sshd, ssh_user), "-p", f"folder={folder}"]

    first = supportstation(tmp_path, *args)
    assert first.returncode == 3, first.stderr  # waits: the instruction needs --yes
    assert "procedures resume 1 --yes" in first.stderr

    second = supportstation(tmp_path, "procedures", "resume", "1", *login(ssh_user), "--yes")
    assert second.returncode == 1, second.stderr  # the flag check failed
    assert "✘ 2/5 flag: failed" in second.stdout and "stdout matches /^ready$/" in second.stdout
    assert "--retry" in second.stderr

    (folder / "flag").write_text("ready\n")
    third = supportstation(tmp_path, "procedures", "resume", "1", *login(ssh_user), "--retry")
    assert third.returncode == 3, third.stderr  # now the consent is missing
    assert '--answer "agree=NAME,INITIALS"' in third.stderr

    listed = json.loads(supportstation(tmp_path, "procedures", "runs", "--json").stdout)
    assert [(run["run_id"], run["state"], run["waiting_for"]["step"]) for run in listed] == [(1, "waiting", "agree")]

    last = supportstation(
        tmp_path, "procedures", "resume", "1", *login(ssh_user), "--answer", "agree=Marie Dupont,MD", "--json"
    )
    assert last.returncode == 0, last.stderr
    summary = json.loads(last.stdout)
    assert summary["state"] == "completed" and summary["passed"] is True
    assert [(step["id"], step["state"], step["attempts"]) for step in summary["steps"]] == [
        ("read-me", "passed", 1),
        ("flag", "passed", 2),
        ("agree", "passed", 1),
        ("restart", "passed", 1),
        ("done", "passed", 1),
    ]
    assert summary["steps"][2]["consent"]["who"] == "Marie Dupont"
    assert supportstation(tmp_path, "procedures", "runs").stdout.strip() == "No procedure run to show."

    events = timeline(tmp_path)
    summaries = [str(event["summary"]) for event in events]
    assert any("Procedure started: Check-up" in text for text in summaries)
    assert any("Procedure completed: Check-up — 5 passed, 0 failed, 0 skipped" in text for text in summaries)
    assert sum("Check-up, step" in text for text in summaries) == 6  # flag twice
    assert supportstation(tmp_path, "audit", "verify").returncode == 0


def test_kill_9_in_the_middle_of_a_step_then_resume_asks_before_running_it_again(
    tmp_path: Path, ssh_folder: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    folder = shared_folder(ssh_folder)
    (folder / "flag").write_text("ready\n")
    (folder / "flag").chmod(0o644)
    path = procedure_file(tmp_path, 60)
    args = ["procedures", "run", str(path), *connection(sshd, ssh_user), "-p", f"folder={folder}", "--yes"]
    args += ["--answer", "agree=Jean-Pierre Martin,J.-P."]
    process = subprocess.Popen(command(tmp_path, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=CLI_ENVIRONMENT)  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while "restarting" not in process.stdout.readline():
            assert time.monotonic() < deadline and process.poll() is None, "the restart step never started"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()

    resumed = supportstation(tmp_path, "procedures", "resume", "1", *login(ssh_user))
    assert resumed.returncode == 1, resumed.stderr
    assert "stopped while this step ran" in resumed.stdout + resumed.stderr
    skipped = supportstation(
        tmp_path, "procedures", "resume", "1", *login(ssh_user), "--skip", "Restarted by hand after the crash"
    )
    assert skipped.returncode == 0, skipped.stderr
    shown = json.loads(supportstation(tmp_path, "procedures", "runs", "--ticket", TICKET, "--json").stdout)
    restart = shown[0]["steps"][3]
    # Two records: the attempt cut by the kill (marked interrupted on resume), then the skip.
    assert (restart["state"], restart["reason"], restart["attempts"]) == (
        "skipped",
        "Restarted by hand after the crash",
        2,
    )
