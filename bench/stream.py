"""100 MB of command output through the run API, recorded and redacted, against `ssh host cat FILE > /dev/null`.

The host: one OpenSSH server (tests/servers/sshd.py, login `sstest` with /bin/sh) on 127.0.0.1, serving a file of
100,000,000 bytes of random base64 text in 76-character lines, written once into a folder `sstest` can read (it is in
the page cache for every round). Every client runs `cat FILE`, checks the host key strictly against a known_hosts
file, logs in with the same ed25519 key, and uses the same key exchange (curve25519-sha256) and cipher
(aes128-gcm@openssh.com, paramiko's fastest: GROUND.md).

What each variant's time includes:

- ours: a fresh ConnectionPool (the app's known_hosts store) and a Runner whose recorder is
  `RecordingContext.recorder` on a fresh SQLite database (WAL, synchronous=FULL) with an audit anchor signed by a key
  from an unlocked file vault, and whose `secrets` returns three values, so redaction is on; `Runner.run` of
  `cat FILE`, then `pool.close()`. That is: connect, key exchange, host key check, login, the command, every byte
  read by the reader thread, redacted (StreamRedactor), kept in memory up to RunOutput's bounds, recorded by a
  writer thread (4 MiB in the database, committed every 4 MiB; the rest in the run's spill file, written at once and
  fsynced every second and at the end), the output's SHA-256, the audit record. The database and vault are created
  before the clock starts.
- bare paramiko: the same connection settings as the engine (its cipher preference and channel window), then
  `exec_command` and a `recv(1 MiB)` loop that throws the bytes away: what paramiko itself costs.
- OpenSSH: `ssh -F none -c aes128-gcm@openssh.com -o KexAlgorithms=curve25519-sha256 … sstest@127.0.0.1 cat FILE`
  with its output to /dev/null, as a child process, start to exit.

Each is reported twice: whole (connection included, as the run API is used in the app: a first command on a host
connects) and transfer only (ours: `Runner.run` on a pool already connected; paramiko: from `exec_command`; ssh:
its whole time minus the median time of `ssh … true` measured in the same round, an estimate). Throughput is
100 MB (10^6 bytes) / time; ratios are ours (or paramiko) / OpenSSH on throughput, so above 1 is faster than ssh.

After each run of ours, untimed: the stored output (database chunks, then the spill file) must hash to the file's
SHA-256 (the text holds no secret, so redaction must change nothing) and the run row must say 100,000,000 bytes.
Peak memory: the process's peak RSS (VmHWM) is reset before each run of ours (/proc/self/clear_refs) and read after
it, so it is ours alone, not the test file's preparation nor paramiko's reference; the RSS just before the run is
printed too (Python, SQLAlchemy, paramiko and the database already loaded), and the whole process's peak.

One warm-up round is discarded, then the variants run interleaved, the order rotated each round. Numbers only mean
something relative to OpenSSH in the same run; no timed assertion is made, the exit code is 0 unless something fails
to run.

With --breakdown, three diagnostic variants of ours run too (not what the app does): no secrets (the redactor then
passes the output through), no recorder, and neither; they show where the time goes.

Run: .venv/bin/python bench/stream.py [--rounds 3] [--breakdown] [--json FILE]   (as root: it creates `sstest`)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from sqlalchemy import select

from supportstation import paths, storage
from supportstation.remote import workbench
from supportstation.remote.output_store import stored_output
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunState, Stream
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.ssh import PREFERRED_CIPHERS, WINDOW_SIZE
from supportstation.remote.targets import AuthMethod, Target
from supportstation.settings import EngineerProfile
from supportstation.storage.run_models import RemoteRun
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))  # the real-sshd helpers live in tests/servers, not in the installed package

from tests.servers.sshd import SshServer, SshUser, prepare_user, running_sshd  # noqa: E402

SIZE = 100_000_000
MB = 1_000_000
CIPHER = "aes128-gcm@openssh.com"
KEX = "curve25519-sha256"
BARE_READ = 1024 * 1024
DEFAULT_ROUNDS = 3
WARM_UP_ROUNDS = 1
TARGET_RATIO = 0.5
TIMEOUT = 300.0
IDLE_TIMEOUT = 10.0
# Redaction on: values of the kinds the vault holds. None occurs in base64 text (and the check after each run
# would say so if one did: the stored output would no longer hash to the file's SHA-256).
SECRETS = ("Corr3ct-Horse! $x'y", "db-Passw0rd-8c1f", "AKIAIOSFODNN7EXAMPLE")
VAULT_PASSWORD = "bench vault password"
FAST_SCRYPT = ScryptParameters(n=2**10)  # opened before the clock starts; its cost is not what is measured
PROFILE = EngineerProfile(name="Bench", email="bench@example.org")

OURS = "ours: Runner.run, recorded, redacted"
PARAMIKO = "bare paramiko, recv(1 MiB)"
OPENSSH = f"OpenSSH ssh -c {CIPHER}"
NO_SECRETS = "diagnostic: ours, recorded, no secrets"
NOT_RECORDED = "diagnostic: ours, redacted, not recorded"
NEITHER = "diagnostic: ours, neither"


class BenchFailed(Exception):
    """A set-up step or a reference tool failed: the bench stops and says which."""


# --- memory --------------------------------------------------------------------------------------------------------


def status_kib(field_name: str) -> int:
    match = re.search(rf"^{field_name}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


class PeakRss:
    """The process's peak RSS over the whole bench, although VmHWM is reset before each run of ours (the reset also
    lowers ru_maxrss, which is computed from it, so ru_maxrss cannot tell the whole-process peak either)."""

    def __init__(self) -> None:
        self.before_resets = 0

    def reset(self) -> None:
        """Linux ≥ 4.0: VmHWM starts again from the current RSS."""
        self.before_resets = max(self.before_resets, status_kib("VmHWM") * 1024)
        Path("/proc/self/clear_refs").write_text("5")

    def whole_process(self) -> int:
        return max(self.before_resets, status_kib("VmHWM") * 1024)


@dataclass
class Sample:
    whole: float  # seconds, connection included
    transfer: float  # seconds, connection excluded (for ssh: an estimate)
    peak_rss: int = 0  # bytes, ours only: VmHWM after the run, reset just before it
    rss_before: int = 0  # bytes, VmRSS just before the run


@dataclass
class Lab:
    folder: Path
    user: SshUser
    server: SshServer
    known_hosts: Path
    data_file: Path
    data_sha256: str
    environment: dict[str, str]
    vault: Vault
    rounds: int = 0
    negotiated: dict[str, str] = field(default_factory=dict)
    peak_rss: PeakRss = field(default_factory=PeakRss)

    @property
    def command(self) -> str:
        return f"cat {self.data_file}"

    def target(self) -> Target:
        return Target(
            host=self.server.host,
            port=self.server.port,
            user=self.user.name,
            auth=AuthMethod.KEY,
            identity_files=(self.user.key,),
        )

    def wait_idle(self) -> None:
        """The previous measurement's sshd processes must be gone: they would compete for the CPU."""
        deadline = time.monotonic() + IDLE_TIMEOUT
        while self.server.session_pids():
            if time.monotonic() > deadline:
                raise BenchFailed(f"sshd still serves {len(self.server.session_pids())} processes")
            time.sleep(0.01)


def write_data_file(path: Path) -> str:
    """SIZE bytes of base64 text (76 characters a line), written a piece at a time so the bench's own peak memory
    stays small; returns its SHA-256."""
    digest = hashlib.sha256()
    written = 0
    with path.open("wb") as file:
        while written < SIZE:
            piece = base64.encodebytes(os.urandom(57 * 16384))[: SIZE - written]
            file.write(piece)
            digest.update(piece)
            written += len(piece)
    path.chmod(0o644)
    return digest.hexdigest()


# --- OpenSSH -------------------------------------------------------------------------------------------------------


def ssh_command(lab: Lab, *remote: str, verbose: bool = False) -> list[str]:
    command = ["ssh", "-F", "none", "-c", CIPHER] + (["-v"] if verbose else [])
    for setting in (
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        f"UserKnownHostsFile={lab.known_hosts}",
        "GlobalKnownHostsFile=/dev/null",
        "ControlMaster=no",
        "IdentitiesOnly=yes",
        f"KexAlgorithms={KEX}",
    ):
        command += ["-o", setting]
    return [
        *command,
        "-i",
        str(lab.user.key),
        "-p",
        str(lab.server.port),
        f"{lab.user.name}@{lab.server.host}",
        *remote,
    ]


def timed_ssh(lab: Lab, *remote: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        ssh_command(lab, *remote),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=lab.environment,
        timeout=TIMEOUT,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchFailed(f"ssh {' '.join(remote)}: exit {done.returncode}\n{done.stderr.decode(errors='replace')}")
    return elapsed


def run_openssh(lab: Lab) -> Sample:
    whole = timed_ssh(lab, *lab.command.split())
    lab.wait_idle()
    # The connection's share, to subtract for the transfer-only estimate: the median of three, as one is noisy.
    connect = statistics.median(timed_ssh(lab, "true") for _ in range(3))
    return Sample(whole, max(whole - connect, 1e-9))


def openssh_negotiated(lab: Lab) -> str:
    done = subprocess.run(
        ssh_command(lab, "true", verbose=True), capture_output=True, text=True, env=lab.environment, timeout=TIMEOUT
    )
    kex = re.search(r"kex: algorithm: (\S+)", done.stderr)
    cipher = re.search(r"kex: server->client cipher: (\S+)", done.stderr)
    return f"{kex.group(1) if kex else '?'}, server->client cipher {cipher.group(1) if cipher else '?'}"


# --- bare paramiko -------------------------------------------------------------------------------------------------


def run_paramiko(lab: Lab) -> Sample:
    started = time.perf_counter()
    sock = socket.create_connection((lab.server.host, lab.server.port), timeout=15)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(sock, default_window_size=WINDOW_SIZE)
    try:
        security = transport.get_security_options()
        security.ciphers = PREFERRED_CIPHERS + tuple(c for c in security.ciphers if c not in PREFERRED_CIPHERS)
        transport.start_client(timeout=15)
        known = paramiko.HostKeys(str(lab.known_hosts))
        offered = transport.get_remote_server_key()
        if not known.check(f"[{lab.server.host}]:{lab.server.port}", offered):
            raise BenchFailed("bare paramiko: the host key is not the known one")
        transport.auth_publickey(lab.user.name, paramiko.Ed25519Key.from_private_key_file(str(lab.user.key)))
        channel = transport.open_session(timeout=15)
        streaming = time.perf_counter()
        channel.exec_command(lab.command)
        received = 0
        while data := channel.recv(BARE_READ):
            received += len(data)
        status = channel.recv_exit_status()
        lab.negotiated.setdefault(PARAMIKO, f"cipher {transport.remote_cipher}")
    finally:
        transport.close()
    ended = time.perf_counter()
    if received != SIZE or status != 0:
        raise BenchFailed(f"bare paramiko: {received} bytes, exit status {status}")
    return Sample(ended - started, ended - streaming)


# --- ours ----------------------------------------------------------------------------------------------------------


def open_bench_vault(folder: Path) -> Vault:
    vault = open_vault(paths.under(folder), backend="file", scrypt=FAST_SCRYPT)
    vault.unlock(VAULT_PASSWORD)  # the first unlock creates the vault
    return vault


def run_ours(lab: Lab, name: str, *, record: bool = True, redact: bool = True) -> Sample:
    """`record` False: no recorder; `redact` False: no secrets, so the redactor passes the output through untouched.
    Both are diagnostics (--breakdown): the app always records and always redacts."""
    lab.rounds += 1
    app_paths = paths.under(lab.folder / f"ours-{lab.rounds}")
    app_paths.create()
    (app_paths.data / workbench.KNOWN_HOSTS_FILE).write_text(lab.server.known_hosts_line() + "\n")
    # A fresh database, created and migrated before the clock starts.
    database = storage.connect(
        storage.sqlite_url(app_paths.database_file), backups=app_paths.backups, create_missing=True
    )
    try:
        context = workbench.recording_context(database, app_paths, lab.vault, PROFILE)
        target = lab.target()
        secrets = list(SECRETS) if redact else []

        async def work() -> tuple[float, float]:
            started = time.perf_counter()
            pool = ConnectionPool(workbench.host_key_store(app_paths))
            runner = Runner(pool, recorder=context.recorder if record else None, secrets=lambda: secrets)
            try:
                connection = await pool.connection(target)
                lab.negotiated.setdefault(OURS, f"cipher {connection.transport.remote_cipher}")
                streaming = time.perf_counter()
                result = await runner.run(RunRequest(target, lab.command))
                transferred = time.perf_counter()
            finally:
                await pool.close()
            if result.state is not RunState.SUCCEEDED or result.output.sizes[Stream.STDOUT] != SIZE:
                raise BenchFailed(f"{name}: {result.describe()}, {result.output.sizes[Stream.STDOUT]} bytes")
            return time.perf_counter() - started, transferred - streaming

        before = status_kib("VmRSS") * 1024
        lab.peak_rss.reset()
        whole, transfer = asyncio.run(work())
        peak = status_kib("VmHWM") * 1024
        if record:
            check_stored(database, app_paths, lab.data_sha256)
    finally:
        database.close()
        shutil.rmtree(app_paths.config.parent, ignore_errors=True)  # 100 MB a round
    return Sample(whole, transfer, peak, before)


def check_stored(database: storage.Database, app_paths: paths.AppPaths, expected_sha256: str) -> None:
    with database.session() as session:
        run = session.scalars(select(RemoteRun)).one()
        run_id, stdout_bytes, spill = run.id, run.stdout_bytes, run.spill_file
    digest = hashlib.sha256()
    for chunk in stored_output(database, run_id, app_paths.data / workbench.OUTPUTS_FOLDER):
        digest.update(chunk.data)
    if stdout_bytes != SIZE or not spill or digest.hexdigest() != expected_sha256:
        raise BenchFailed(f"ours: stored {stdout_bytes} bytes (spill file {spill}), SHA-256 differs from the file's")


# --- the bench -----------------------------------------------------------------------------------------------------


def run_rounds(lab: Lab, variants: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(WARM_UP_ROUNDS + rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            lab.wait_idle()
            sample = variants[name]()
            if round_number >= WARM_UP_ROUNDS:
                samples[name].append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return samples


def report(lab: Lab, samples: dict[str, list[Sample]], rounds: int, load: float) -> dict[str, object]:
    whole = {name: statistics.median(s.whole for s in values) for name, values in samples.items()}
    transfer = {name: statistics.median(s.transfer for s in values) for name, values in samples.items()}
    print(f"\n`cat` of {SIZE:,} bytes of text from 127.0.0.1, median of {rounds} rounds")
    print("MB/s = 10^6 bytes per second; ratio = throughput / OpenSSH's throughput (above 1: faster than ssh).")
    print("whole: connection included; transfer: connection excluded (ssh: whole minus `ssh … true`, an estimate).\n")
    width = max(len(name) for name in samples)
    header = ("variant", "whole s", "MB/s", "ratio", "transfer s", "MB/s", "ratio")
    print(f"{header[0]:<{width}}  " + "  ".join(f"{title:>10}" for title in header[1:]))
    for name in samples:
        cells = [
            f"{whole[name]:.3f}",
            f"{SIZE / MB / whole[name]:.0f}",
            f"{whole[OPENSSH] / whole[name]:.2f}×",
            f"{transfer[name]:.3f}",
            f"{SIZE / MB / transfer[name]:.0f}",
            f"{transfer[OPENSSH] / transfer[name]:.2f}×",
        ]
        print(f"{name:<{width}}  " + "  ".join(f"{cell:>10}" for cell in cells))
    peaks = [s.peak_rss for s in samples[OURS]]
    peak_mib, before_mib = max(peaks) / 2**20, statistics.median(s.rss_before for s in samples[OURS]) / 2**20
    whole_process_mib = lab.peak_rss.whole_process() / 2**20
    print(
        f"\nPeak RSS during a run of ours (VmHWM reset before it): {peak_mib:.0f} MiB (max of {len(peaks)} rounds;"
        f" RSS just before the run: {before_mib:.0f} MiB, so +{peak_mib - before_mib:.0f} MiB for the run)"
    )
    print(f"Peak RSS of the whole bench process (every variant, the diagnostics too): {whole_process_mib:.0f} MiB")
    print(
        f"\nMachine load (1-minute average): {load:.1f} when the rounds began, {os.getloadavg()[0]:.1f} at the end,"
        f" on {os.cpu_count()} CPUs. Other work on the machine slows the variants unequally: compare within a run."
    )
    print("\nNegotiated (one connection each):")
    for name, negotiated in lab.negotiated.items():
        print(f"  {name}: {negotiated}")
    ratio = whole[OPENSSH] / whole[OURS]
    transfer_ratio = transfer[OPENSSH] / transfer[OURS]
    print(f"\nTarget: ours ≥ {TARGET_RATIO}× OpenSSH's throughput with the same cipher.")
    print(f"  whole: {ratio:.2f}× → {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    print(f"  transfer only: {transfer_ratio:.2f}× → {'PASS' if transfer_ratio >= TARGET_RATIO else 'FAIL'}")
    return {
        "bytes": SIZE,
        "rounds": rounds,
        "samples": {name: [vars(sample) for sample in values] for name, values in samples.items()},
        "median_whole_s": whole,
        "median_transfer_s": transfer,
        "ratio_whole": {name: whole[OPENSSH] / value for name, value in whole.items()},
        "ratio_transfer": {name: transfer[OPENSSH] / value for name, value in transfer.items()},
        "peak_rss_ours_bytes": max(peaks),
        "peak_rss_process_bytes": lab.peak_rss.whole_process(),
        "negotiated": lab.negotiated,
        "load_average": [load, os.getloadavg()[0]],
        "target_ratio": TARGET_RATIO,
    }


def child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("SSH_AUTH_SOCK", None)  # every client logs in with the key file only
    return environment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="measured rounds per variant (default 3)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the samples and medians to FILE")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also run ours without secrets, without recording, and without both (diagnostics, not the app)",
    )
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("Run as root: the bench creates the `sstest` user and starts sshd.", file=sys.stderr)
        return 1
    os.environ.pop("SSH_AUTH_SOCK", None)  # the engine would try an agent first
    folder = Path(tempfile.mkdtemp(prefix="ss-bench-stream-"))
    folder.chmod(0o755)  # sshd reads authorized_keys below it, and `cat` the data file, as the login user
    try:
        user = prepare_user(folder / "user")
        data_file = folder / "user" / "output.txt"
        data_sha256 = write_data_file(data_file)
        with running_sshd(
            folder / "sshd", user=user.name, authorized_keys=user.authorized_keys, password_auth=False
        ) as server:
            known_hosts = folder / "known_hosts"
            known_hosts.write_text(server.known_hosts_line() + "\n")
            vault = open_bench_vault(folder / "vault-home")
            lab = Lab(folder, user, server, known_hosts, data_file, data_sha256, child_environment(), vault)
            lab.negotiated[OPENSSH] = openssh_negotiated(lab)
            variants: dict[str, Callable[[], Sample]] = {
                OURS: lambda: run_ours(lab, OURS),
                PARAMIKO: lambda: run_paramiko(lab),
                OPENSSH: lambda: run_openssh(lab),
            }
            if arguments.breakdown:
                variants[NO_SECRETS] = lambda: run_ours(lab, NO_SECRETS, redact=False)
                variants[NOT_RECORDED] = lambda: run_ours(lab, NOT_RECORDED, record=False)
                variants[NEITHER] = lambda: run_ours(lab, NEITHER, record=False, redact=False)
            load = os.getloadavg()[0]
            samples = run_rounds(lab, variants, arguments.rounds)
            summary = report(lab, samples, arguments.rounds, load)
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
