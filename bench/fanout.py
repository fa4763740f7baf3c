"""`uname -a` on 50 hosts at once: SupportStation's fan-out against OpenSSH's `ssh` run 50-wide by `xargs -P 50`.

The hosts: one OpenSSH server (tests/servers/sshd.py, login `sstest` with /bin/sh, MaxStartups 200:30:300 and
MaxSessions 200) listening on 0.0.0.0, reached as 127.0.0.1 … 127.0.0.50. The whole of 127/8 is loopback on Linux, so
these are 50 host names to the clients: 50 distinct targets, 50 real TCP connections, 50 key exchanges and logins, 50
known_hosts entries looked up. sshd can listen on at most 16 addresses, hence 0.0.0.0; only public-key logins are
allowed and a `Match Address` block refuses every login from outside 127/8 while the bench runs. Every client checks
the host key strictly against a known_hosts file written beforehand (no prompt, no accept-new), and logs in with the
same ed25519 key.

What each variant's time includes, from the moment the variant starts to the moment its last result is stored:

- ours, in process: a fresh ConnectionPool and Runner built as `supportstation run` builds them (the app's
  known_hosts store, vault credentials, RecordingContext from `workbench.recording_context` on a fresh SQLite
  database with an audit anchor signed by a key from an unlocked file vault), then `fan_out(limit=50)`: 50 connects,
  key exchanges, host key checks, logins, commands, results with their exit codes, each run recorded (run row,
  output chunks, audit record, anchor file rewritten), then `pool.close()`. The database and the vault are created
  and opened before the clock starts (a fresh database each round); Python, paramiko and SQLAlchemy are already
  imported.
- ours, whole process: `supportstation --data-dir D run ssh://sstest@127.0.0.N:PORT … -i KEY --limit 50 --json --
  uname -a` as a child process, from its start to its exit: interpreter start-up, imports, opening (and checking the
  schema of) the database, unlocking the file vault with the real scrypt cost (SUPPORTSTATION_VAULT_PASSWORD), the
  fan-out, recording, the JSON lines. This is the fair match for xargs + ssh, which start 51 processes. Twice: with
  no agent (SUPPORTSTATION_NO_AGENT=1: a day's first command, a script's, or the agent turned off), and handed to
  the agent that a first command typed in a terminal starts as it ends, as the next commands of the day are.
- OpenSSH: `xargs -P 50 -I{} ssh -F none -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=FILE
  -o ControlMaster=no -o IdentitiesOnly=yes -i KEY -p PORT sstest@{} uname -a`, the hosts fed on xargs's standard
  input, the output to a file; once with OpenSSH's default key exchange (sntrup761x25519-sha512 in OpenSSH 9.2,
  ~90 ms of client CPU per connection here) and once with `-o KexAlgorithms=curve25519-sha256`, what paramiko
  negotiates: that one is the comparison the target is about.
- parallel-ssh: measured only if installed; it is not in this project's environment, which the output says.
- diagnostic, not the app: ours in process with no recorder, to show what recording costs.

Beside the times: the CPU seconds of the client side (this process's threads for ours in process, the waited-for
child processes otherwise) and of sshd with its session processes (/proc stat of the listener, read once the
connections' processes are reaped). This machine has few cores, and both sides share them.

One warm-up round is discarded, then the variants run interleaved (order rotated each round) so machine noise hits
all alike; before each measurement the bench waits until sshd serves no connection left over from the previous one.
The negotiated key exchange of each client is shown (from `ssh -v` and from paramiko's transport), once, untimed.
Numbers only mean something relative to OpenSSH in the same run; no timed assertion is made, the exit code is 0
unless something fails to run.

Run: .venv/bin/python bench/fanout.py [--rounds 5] [--json FILE]   (as root: it creates the `sstest` user)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import logging
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from supportstation import paths, storage
from supportstation.agent_client import ask
from supportstation.remote import workbench
from supportstation.remote.fanout import fan_out
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunResult, RunState
from supportstation.remote.runs import RecorderFactory, Runner, RunRequest
from supportstation.remote.targets import AuthMethod, Target
from supportstation.settings import EngineerProfile
from supportstation.storage.models import AuditRecord
from supportstation.storage.run_models import RemoteRun
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))  # the real-sshd helpers live in tests/servers, not in the installed package

from tests.servers.sshd import SshServer, SshUser, prepare_user, running_sshd  # noqa: E402

HOSTS = 50
COMMAND = "uname -a"
SAME_KEX = "curve25519-sha256"
DEFAULT_ROUNDS = 5
WARM_UP_ROUNDS = 1
TARGET_RATIO = 1.2
TIMEOUT = 120.0
IDLE_TIMEOUT = 10.0
VAULT_PASSWORD = "bench vault password"
FAST_SCRYPT = ScryptParameters(n=2**10)  # the in-process vault is opened untimed; only the CLI pays the real cost
PROFILE = EngineerProfile(name="Bench", email="bench@example.org")
# sshd listens on 0.0.0.0 (see the docstring): nobody outside loopback may log in meanwhile.
LOOPBACK_ONLY = "Match Address 0.0.0.0/0,!127.0.0.0/8\n    DenyUsers *\n"

OURS_IN_PROCESS = "ours in process (fan_out, limit 50)"
OURS_PROCESS = "ours whole process, no agent (first command)"
OURS_AGENT = "ours whole process, agent (the default after)"
OPENSSH_SAME = f"ssh × {HOSTS}, xargs -P {HOSTS}, {SAME_KEX}"
OPENSSH_DEFAULT = f"ssh × {HOSTS}, xargs -P {HOSTS}, default kex"
UNRECORDED = "diagnostic: ours in process, not recorded"


class BenchFailed(Exception):
    """A set-up step or a reference tool failed: the bench stops and says which."""


@dataclass
class Sample:
    seconds: float
    client_cpu: float  # user + system CPU seconds of the client side: this process, or the child processes
    server_cpu: float = 0.0  # of sshd and everything it started for the connections, filled in by run_rounds


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children and what they waited for
    return usage.ru_utime + usage.ru_stime


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of its reaped descendants (/proc/PID/stat utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds of sshd and of every process it starts, orphaned ones included.

    Not /proc cutime alone: when a client ends with SSH_MSG_DISCONNECT (OpenSSH's ssh does, paramiko's close() does
    not), sshd 9.2's user child exits by itself and the monitor sees its socket close and exits without waiting for
    it, so that child (with its shell and command) is reaped by init and its CPU never reaches the listener's cutime:
    ~5 ms per OpenSSH login went uncounted. A cgroup v2 of its own counts every process forked below the listener.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cgroup: Path | None = None
        for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):  # unified v2, or v2 of a hybrid setup
            if (root / "cgroup.procs").exists() and not (root / "tasks").exists():
                group = root / f"ss-bench-sshd-{pid}"
                try:
                    group.mkdir()
                    (group / "cgroup.procs").write_text(str(pid))
                except OSError:
                    with contextlib.suppress(OSError):
                        group.rmdir()
                    continue
                self.cgroup = group
                break

    @property
    def method(self) -> str:
        if self.cgroup is not None:
            return "cgroup v2 cpu.stat of sshd's own cgroup (every process it forks, orphans included)"
        return "/proc cutime of the sshd listener (no cgroup v2): misses sessions orphaned by a client's disconnect"

    def busy(self) -> bool:
        """True while a process other than the listener is in the cgroup: orphaned sessions too, which `descendants`
        no longer sees."""
        if self.cgroup is None:
            return False
        return any(int(pid) != self.pid for pid in (self.cgroup / "cgroup.procs").read_text().split())

    def read(self) -> float:
        if self.cgroup is None:
            return process_tree_cpu(self.pid)
        for line in (self.cgroup / "cpu.stat").read_text().splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
        raise BenchFailed(f"no usage_usec in {self.cgroup}/cpu.stat")

    def close(self) -> None:
        """Removes the cgroup once sshd and its processes are gone (rmdir fails while any process is in it)."""
        if self.cgroup is not None:
            deadline = time.monotonic() + IDLE_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    self.cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
            self.cgroup = None


@dataclass
class Lab:
    folder: Path
    user: SshUser
    server: SshServer
    known_hosts: Path  # the OpenSSH clients' file; the app's copies have the same lines
    environment: dict[str, str]  # for every child process
    cpu_meter: ServerCpu | None = None  # main() sets one; without it, the listener's /proc counters

    def server_cpu(self) -> float:
        return self.cpu_meter.read() if self.cpu_meter else process_tree_cpu(self.server.pid)

    @property
    def hosts(self) -> list[str]:
        return [f"127.0.0.{number}" for number in range(1, HOSTS + 1)]

    def known_hosts_text(self) -> str:
        return "".join(f"[{host}]:{self.server.port} {self.server.host_public_key}\n" for host in self.hosts)

    def targets(self) -> list[Target]:
        return [
            Target(
                host=host,
                port=self.server.port,
                user=self.user.name,
                auth=AuthMethod.KEY,
                identity_files=(self.user.key,),
                name=f"t{number}",
            )
            for number, host in enumerate(self.hosts, start=1)
        ]

    def wait_idle(self) -> None:
        """No connection of the previous measurement may still be torn down while the next one runs."""
        deadline = time.monotonic() + IDLE_TIMEOUT
        while self.server.session_pids() or (self.cpu_meter is not None and self.cpu_meter.busy()):
            if time.monotonic() > deadline:
                raise BenchFailed(f"sshd still serves {len(self.server.session_pids())} processes")
            time.sleep(0.01)


# --- OpenSSH ---------------------------------------------------------------------------------------------------------


def ssh_options(lab: Lab, kex: str | None) -> list[str]:
    options = ["-F", "none"]  # no ~/.ssh/config of whoever runs the bench
    settings = [
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        f"UserKnownHostsFile={lab.known_hosts}",
        "GlobalKnownHostsFile=/dev/null",
        "ControlMaster=no",
        "IdentitiesOnly=yes",
    ]
    if kex:
        settings.append(f"KexAlgorithms={kex}")
    for setting in settings:
        options += ["-o", setting]
    return [*options, "-i", str(lab.user.key), "-p", str(lab.server.port)]


def run_openssh(lab: Lab, kex: str | None, output: Path) -> Sample:
    command = ["xargs", "-P", str(HOSTS), "-I{}", "ssh", *ssh_options(lab, kex), f"{lab.user.name}@{{}}", COMMAND]
    hosts = "".join(host + "\n" for host in lab.hosts)
    with output.open("w") as out:
        cpu, started = children_cpu(), time.perf_counter()
        done = subprocess.run(
            command, input=hosts, stdout=out, stderr=subprocess.PIPE, text=True, env=lab.environment, timeout=TIMEOUT
        )
        elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    lines = output.read_text().splitlines()
    if done.returncode != 0 or len(lines) != HOSTS or not all(line.startswith("Linux ") for line in lines):
        kind = kex or "default"
        raise BenchFailed(f"xargs ssh (kex {kind}): exit {done.returncode}, {len(lines)} lines\n{done.stderr}")
    return Sample(elapsed, cpu)


def openssh_kex(lab: Lab, kex: str | None) -> str:
    """The key exchange ssh negotiates, from its -v output (untimed)."""
    command = ["ssh", "-v", *ssh_options(lab, kex), f"{lab.user.name}@{lab.hosts[0]}", "true"]
    done = subprocess.run(command, capture_output=True, text=True, env=lab.environment, timeout=TIMEOUT)
    match = re.search(r"kex: algorithm: (\S+)", done.stderr)
    return match.group(1) if match else "?"


# --- ours, in process ------------------------------------------------------------------------------------------------


@dataclass
class InProcess:
    folder: Path
    vault: Vault
    rounds: int = 0


def open_bench_vault(folder: Path) -> Vault:
    vault = open_vault(paths.under(folder), backend="file", scrypt=FAST_SCRYPT)
    vault.unlock(VAULT_PASSWORD)  # the first unlock creates the vault
    return vault


def round_paths(lab: Lab, state: InProcess) -> paths.AppPaths:
    """A data folder of its own each round: every round starts from the same, empty, state."""
    state.rounds += 1
    app_paths = paths.under(state.folder / f"round-{state.rounds}")
    app_paths.create()
    (app_paths.data / workbench.KNOWN_HOSTS_FILE).write_text(lab.known_hosts_text())
    return app_paths


def fan_out_in_process(
    lab: Lab, state: InProcess, app_paths: paths.AppPaths, recorder: RecorderFactory | None
) -> tuple[dict[Target, RunResult], Sample]:
    requests = [RunRequest(target, COMMAND) for target in lab.targets()]

    async def work() -> dict[Target, RunResult]:
        # Built as remote.commands.Session builds them for `supportstation run`.
        pool = ConnectionPool(workbench.host_key_store(app_paths), credentials=workbench.vault_credentials(state.vault))
        runner = Runner(pool, recorder=recorder, secrets=state.vault.known_secrets)
        try:
            return await fan_out(runner, requests, limit=HOSTS)
        finally:
            await pool.close()

    cpu, started = own_cpu(), time.perf_counter()
    results = asyncio.run(work())
    sample = Sample(time.perf_counter() - started, own_cpu() - cpu)
    check_results(results)
    return results, sample


def run_in_process(lab: Lab, state: InProcess) -> Sample:
    app_paths = round_paths(lab, state)
    # A fresh database, created and migrated before the clock starts.
    database = storage.connect(
        storage.sqlite_url(app_paths.database_file), backups=app_paths.backups, create_missing=True
    )
    try:
        context = workbench.recording_context(database, app_paths, state.vault, PROFILE)
        _results, sample = fan_out_in_process(lab, state, app_paths, context.recorder)
        with database.session() as session:
            runs = session.scalar(select(func.count()).select_from(RemoteRun).where(RemoteRun.exit_code == 0))
            records = session.scalar(select(func.count()).select_from(AuditRecord))
        if runs != HOSTS or records != HOSTS:
            raise BenchFailed(f"in process: {runs} runs and {records} audit records stored, not {HOSTS}")
    finally:
        database.close()
    return sample


def run_unrecorded(lab: Lab, state: InProcess) -> Sample:
    """Diagnostic: the same fan-out with no recorder, to show what persisting costs. Not what the app does."""
    return fan_out_in_process(lab, state, round_paths(lab, state), None)[1]


def check_results(results: dict[Target, RunResult]) -> None:
    bad = [
        f"{target.label}: {result.describe()}"
        for target, result in results.items()
        if result.state is not RunState.SUCCEEDED or result.exit_code != 0 or not result.stdout.startswith("Linux ")
    ]
    if len(results) != HOSTS or bad:
        raise BenchFailed(f"in process: {len(results)} results; failed:\n" + "\n".join(bad[:5]))


class _KexLog(logging.Handler):
    """paramiko forgets its key exchange object once done, but logs the algorithm it agreed ("Kex: NAME")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.agreed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Kex: "):
            self.agreed.append(message[len("Kex: ") :])


def paramiko_kex(lab: Lab, state: InProcess) -> str:
    """The key exchange and cipher the engine negotiates, from one connection of its own (untimed)."""
    app_paths = round_paths(lab, state)
    logger = logging.getLogger("paramiko.transport")
    handler, level = _KexLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    async def probe() -> str:
        pool = ConnectionPool(workbench.host_key_store(app_paths))
        try:
            transport = (await pool.connection(lab.targets()[0])).transport
            return f"{', '.join(handler.agreed) or '?'}, cipher {transport.remote_cipher}"
        finally:
            await pool.close()

    try:
        return asyncio.run(probe())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- ours, whole process ---------------------------------------------------------------------------------------------


def app_command(lab: Lab, data_dir: Path, *arguments: str) -> list[str]:
    # The console script an engineer types, when the environment has it; the module otherwise.
    script = Path(sys.executable).with_name("supportstation")
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "supportstation"]
    return [*start, "--data-dir", str(data_dir), *arguments]


def prepare_cli(lab: Lab, data_dir: Path) -> None:
    """The data folder of an engineer who used the app before: database created, host keys known. The vault is
    created by the warm-up round's first unlock."""
    command = app_command(lab, data_dir, "db", "upgrade")
    done = subprocess.run(command, capture_output=True, text=True, env=lab.environment, timeout=TIMEOUT)
    if done.returncode != 0:
        raise BenchFailed(f"supportstation db upgrade: exit {done.returncode}\n{done.stderr}")
    (paths.under(data_dir).data / workbench.KNOWN_HOSTS_FILE).write_text(lab.known_hosts_text())


def run_cli(lab: Lab, data_dir: Path, agent: Agent | None = None) -> Sample:
    urls = [f"ssh://{lab.user.name}@{host}:{lab.server.port}" for host in lab.hosts]
    options = ["-i", str(lab.user.key), "--limit", str(HOSTS), "--json"]
    command = app_command(lab, data_dir, "run", *urls, *options, "--", *COMMAND.split())
    environment = lab.environment if agent is None else agent.environment
    agent_cpu = agent.cpu() if agent else 0.0
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environment, timeout=TIMEOUT
    )
    elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    if agent is not None:  # the command ran in a process forked by the agent, reaped by it: its CPU is the agent's
        agent.wait_reaped()  # the command tells its caller its status before it is reaped: its CPU counts then
        cpu += agent.cpu() - agent_cpu
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    good = [r for r in results if r["state"] == "succeeded" and r["exit_code"] == 0 and r["stdout"].startswith("Linux")]
    if done.returncode != 0 or len(good) != HOSTS:
        problem = f"supportstation run: exit {done.returncode}, {len(good)} good results"
        raise BenchFailed(f"{problem}\n{done.stderr[-3000:]}")
    return Sample(elapsed, cpu)


@dataclass
class Agent:
    """`supportstation agent`, started for the bench on a socket of its own; only its variant is given the socket."""

    pid: int
    environment: dict[str, str]
    socket: Path

    def cpu(self) -> float:
        return process_tree_cpu(self.pid)

    def wait_reaped(self) -> None:
        deadline = time.monotonic() + IDLE_TIMEOUT
        while (ask({"ping": True}, self.socket) or {}).get("running"):
            if time.monotonic() > deadline:
                raise BenchFailed("the agent's command was not reaped")
            time.sleep(0.005)


@contextlib.contextmanager
def running_agent(lab: Lab, data_dir: Path) -> Iterator[Agent]:
    """The agent, on a socket of the bench's own: as an engineer's first command typed in a terminal leaves it (the
    bench's commands have no terminal, so it is started by hand, which is the same process)."""
    folder = lab.folder / "agent"
    folder.mkdir(mode=0o700)
    socket = folder / "agent.sock"
    environment = dict(lab.environment, SUPPORTSTATION_AGENT_SOCKET=str(socket))
    del environment["SUPPORTSTATION_NO_AGENT"]

    def agent_command(action: str) -> subprocess.CompletedProcess[str]:
        command = app_command(lab, data_dir, "agent", action)
        return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=TIMEOUT)

    started, status = agent_command("start"), ask({"ping": True}, socket)
    if started.returncode != 0 or status is None:
        raise BenchFailed(f"supportstation agent start: exit {started.returncode}\n{started.stdout}{started.stderr}")
    try:
        yield Agent(int(status["pid"]), environment, socket)
    finally:
        agent_command("stop")


# --- the bench -------------------------------------------------------------------------------------------------------


def parallel_ssh_status() -> str:
    if importlib.util.find_spec("pssh") is not None:
        return "the pssh package is installed, but this bench has no variant for it yet: not measured"
    command = shutil.which("parallel-ssh") or shutil.which("pssh")
    if command:
        return f"{command} is installed, but this bench has no variant for it yet: not measured"
    return "not installed (no `pssh` package in this environment, no parallel-ssh command): not measured"


def child_environment(folder: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("SSH_AUTH_SOCK", None)  # every client logs in with the key file only
    # Bytecode cached as an installed app has it: with PYTHONDONTWRITEBYTECODE every start would recompile.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    environment["SUPPORTSTATION_VAULT_PASSWORD"] = VAULT_PASSWORD
    environment["SUPPORTSTATION_NO_AGENT"] = "1"  # commands start no agent, except the one started for its variant
    return environment


def run_rounds(lab: Lab, variants: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(WARM_UP_ROUNDS + rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            lab.wait_idle()
            server_cpu = lab.server_cpu()
            sample = variants[name]()
            lab.wait_idle()  # sshd has reaped the connections' processes: their CPU time is in its counters
            sample.server_cpu = lab.server_cpu() - server_cpu
            if round_number >= WARM_UP_ROUNDS:
                samples[name].append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return samples


INCLUDES = {
    OURS_IN_PROCESS: "pool + runner built as the CLI does, fan_out: connect, kex, host key check, login, run, "
    "record (run row, chunks, audit record, anchor file), pool.close(); database and vault opened before",
    OURS_PROCESS: "`supportstation run` child process, start to exit, with SUPPORTSTATION_NO_AGENT=1: start-up, "
    "imports, database, vault unlock (real scrypt), all of the above, JSON output",
    OURS_AGENT: "the same command, handed by a thin client to the agent (as a first command typed in a terminal "
    "leaves it), which forks a process with the modules already imported; its CPU counted",
    OPENSSH_SAME: f"xargs + {HOSTS} ssh processes, start to exit, output to a file",
    OPENSSH_DEFAULT: "the same with OpenSSH's default key exchange",
    UNRECORDED: "diagnostic, not the app: the in-process fan-out with no recorder",
}


def report(
    samples: dict[str, list[Sample]], kex: dict[str, str], parallel_ssh: str, rounds: int, load: float
) -> dict[str, object]:
    medians = {name: statistics.median(s.seconds for s in values) for name, values in samples.items()}
    same, default = medians[OPENSSH_SAME], medians[OPENSSH_DEFAULT]
    print(f"\n`{COMMAND}` on {HOSTS} hosts (127.0.0.1 … 127.0.0.{HOSTS}, one sshd), median of {rounds} rounds")
    print("Ratios are time / OpenSSH's time (below 1: faster than OpenSSH). CPU: medians, user + system seconds;")
    print("client = this process (in process) or the child processes; sshd = the server and its session processes.\n")
    width = max(len(name) for name in medians)
    print(
        f"{'variant':<{width}}  {'median s':>8}  {'min s':>6}  {'max s':>6}  {'vs same kex':>11}  {'vs default':>10}"
        f"  {'client CPU':>10}  {'sshd CPU':>8}"
    )
    for name, values in samples.items():
        median = medians[name]
        client = statistics.median(s.client_cpu for s in values)
        server = statistics.median(s.server_cpu for s in values)
        seconds = [s.seconds for s in values]
        print(
            f"{name:<{width}}  {median:>8.3f}  {min(seconds):>6.3f}  {max(seconds):>6.3f}  {median / same:>10.2f}×"
            f"  {median / default:>9.2f}×  {client:>10.2f}  {server:>8.2f}"
        )
    print(f"{'parallel-ssh':<{width}}  {parallel_ssh}")
    print("\nWhat each time includes:")
    for name, text in INCLUDES.items():
        print(f"  {name}: {text}")
    print(
        f"\nMachine load (1-minute average): {load:.1f} when the rounds began, {os.getloadavg()[0]:.1f} at the end,"
        f" on {os.cpu_count()} CPUs (the bench's own 100 processes per round raise it too). Other work on the"
        " machine slows the variants unequally: compare within a run."
    )
    print("\nNegotiated key exchange (one untimed connection each):")
    for name, negotiated in kex.items():
        print(f"  {name}: {negotiated}")
    print(f"\nTarget: ours ≤ {TARGET_RATIO}× OpenSSH on the same key exchange ({SAME_KEX}).")
    verdicts, floors = {}, {}
    cores = os.cpu_count() or 1
    for name in (OURS_IN_PROCESS, OURS_PROCESS, OURS_AGENT):
        ratio = medians[name] / same
        verdicts[name] = ratio <= TARGET_RATIO
        # Client and sshd share the machine's cores: no schedule of the work can finish before its CPU time, spread
        # over every core, has passed. A variant whose floor is above the target cannot meet it by waiting less.
        cpu = statistics.median(sample.client_cpu + sample.server_cpu for sample in samples[name])
        floors[name] = cpu / cores
        print(
            f"  {name}: {ratio:.2f}× → {'PASS' if verdicts[name] else 'FAIL'}"
            f"  (its CPU time over {cores} cores: ≥ {floors[name]:.2f} s, {floors[name] / same:.2f}×)"
        )
    start_up = statistics.median(s.client_cpu for s in samples[OURS_PROCESS]) - statistics.median(
        s.client_cpu for s in samples[OURS_IN_PROCESS]
    )
    print(f"  whole process, client CPU beyond the in-process fan-out (start-up, imports, vault): {start_up:.2f} s")
    return {
        "hosts": HOSTS,
        "command": COMMAND,
        "rounds": rounds,
        "samples": {name: [vars(sample) for sample in values] for name, values in samples.items()},
        "medians_s": medians,
        "ratios_same_kex": {name: median / same for name, median in medians.items()},
        "ratios_default_kex": {name: median / default for name, median in medians.items()},
        "includes": INCLUDES,
        "negotiated": kex,
        "parallel_ssh": parallel_ssh,
        "load_average": [load, os.getloadavg()[0]],
        "target_ratio": TARGET_RATIO,
        "pass": verdicts,
        "cpu_floor_s": floors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="measured rounds per variant (default 5)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the samples and medians to FILE")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("Run as root: the bench creates the `sstest` login and starts sshd.", file=sys.stderr)
        return 1
    os.environ.pop("SSH_AUTH_SOCK", None)  # the in-process engine would try an agent first
    folder = Path(tempfile.mkdtemp(prefix="ss-bench-fanout-"))
    folder.chmod(0o755)  # sshd reads authorized_keys below it as the login user
    try:
        user = prepare_user(folder / "user")
        with contextlib.ExitStack() as stack:
            meters: list[ServerCpu] = []
            # Registered first, so it runs last: once running_sshd's exit has stopped sshd and emptied the cgroup.
            stack.callback(lambda: [meter.close() for meter in meters])
            server = stack.enter_context(running_sshd(
                folder / "sshd",
                host="0.0.0.0",
                user=user.name,
                authorized_keys=user.authorized_keys,
                password_auth=False,
                extra_config=LOOPBACK_ONLY,
            ))  # fmt: skip
            lab = Lab(folder, user, server, folder / "known_hosts", child_environment(folder))
            lab.cpu_meter = ServerCpu(server.pid)
            meters.append(lab.cpu_meter)
            print(f"sshd CPU measured by {lab.cpu_meter.method}", file=sys.stderr)
            lab.known_hosts.write_text(lab.known_hosts_text())
            state = InProcess(folder / "in-process", open_bench_vault(folder / "vault-home"))
            cli_data = folder / "cli"
            prepare_cli(lab, cli_data)
            kex = {
                "paramiko (ours)": paramiko_kex(lab, state),
                "ssh, default": openssh_kex(lab, None),
                f"ssh, -o KexAlgorithms={SAME_KEX}": openssh_kex(lab, SAME_KEX),
            }
            agent = stack.enter_context(running_agent(lab, cli_data))
            variants: dict[str, Callable[[], Sample]] = {
                OURS_IN_PROCESS: lambda: run_in_process(lab, state),
                OURS_PROCESS: lambda: run_cli(lab, cli_data),
                OURS_AGENT: lambda: run_cli(lab, cli_data, agent),
                OPENSSH_SAME: lambda: run_openssh(lab, SAME_KEX, folder / "ssh-same.out"),
                OPENSSH_DEFAULT: lambda: run_openssh(lab, None, folder / "ssh-default.out"),
                UNRECORDED: lambda: run_unrecorded(lab, state),
            }
            load = os.getloadavg()[0]
            samples = run_rounds(lab, variants, arguments.rounds)
        summary = report(samples, kex, parallel_ssh_status(), arguments.rounds, load)
    except BenchFailed as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if arguments.json:
        arguments.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
