"""20 commands in a row on one Windows host over WinRM: SupportStation's transport against pywinrm's `Session.run_cmd`.

The host: one WS-Management simulator (simulators/winrm_simulator, `WinRMSimulator`) in this process, listening on
127.0.0.1 over HTTPS with the test CA's certificate, NTLM authentication (the app's default); with `--http`, over
plain HTTP, where both clients seal every SOAP message with NTLM (WinRM message encryption). Each command is
`echo N` (N = 0 … 19), run by the simulator through /bin/sh; both clients must get "N\\n" on stdout and exit code 0.

What each variant's time includes, from the moment it starts to the moment its 20th result is checked:

- reference, pywinrm: `winrm.Session(url, auth=(user, password), transport="ntlm", ca_trust_path=TEST_CA)` (over
  HTTPS the certificate is verified against the test CA, or with `--reference-validation ignore` not at all,
  `server_cert_validation="ignore"`; over HTTP message encryption is pywinrm's default), then
  `session.run_cmd("echo", [N])` 20 times in sequence with that one Session, as a script does: each is Create
  (shell), Command, Receive until done, Signal terminate, Delete. The Session is built lazily, so the first command
  also pays the TCP connection, the TLS handshake and NTLM.
- ours: a fresh `ConnectionPool` (a HostKeyStore in a temporary folder, the password from a credentials callback)
  and a `Runner` with no recorder and no vault secrets, then 20 `await runner.run(RunRequest(target, "echo N"))` in
  sequence in one event loop (the pool reused, as the app reuses it), then `pool.close()`. The target is
  `winrm+https://admin@127.0.0.1:PORT` with shell cmd and the certificate pinned by its SHA-256 (`cert_fingerprint`,
  what `--cert-fingerprint` gives on the command line), so no question is asked; the first command also pays the
  pool's connect: the certificate fetched and compared, the login checked (a shell created and deleted). The event
  loop is created before the clock starts (the app has one already).

Beside the times, the simulator counts, for each variant, what reached it: TCP connections (each one a TLS handshake
over HTTPS), HTTP requests (by status: 401 is an NTLM or authentication round trip, 500 a SOAP fault such as a
Receive's operation timeout), SOAP actions (Create, Command, Receive, Signal, Delete), and the seconds it spent in its
request handler (authentication, decryption, the action, the answer): the rest of the time is the client's, the
network's and the interpreter's. Round trips are what the target is about: a streaming transport reads output one
Receive at a time, and must not need more requests than pywinrm does to run the same commands.

The simulator's sockets get TCP_NODELAY from the bench (`--nagle` leaves them as they are): it writes an answer's
headers and body in two sends, so with Nagle's algorithm the body waits for the client's delayed ACK of the headers,
~40 ms on Linux loopback, on every answer that has a body. That wait comes from the simulator's two writes, not from
either client; left in, it is most of both variants' time (~85% of pywinrm's) and hides what the clients
themselves cost.

The simulator shares this process (and its interpreter lock) with both clients, the same for both. One warm-up round
is discarded (imports, first connections), then the two variants alternate, in an order rotated each round. Medians
are printed with the machine's load average; numbers only mean something relative to the reference of the same run.
No timed assertion is made: the exit code is 0 unless something fails to run.

Run: .venv/bin/python bench/winrm.py [--rounds 5] [--http] [--reference-validation ca|ignore] [--nagle] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# This file is named winrm.py and Python puts its folder first on sys.path: `import winrm` would import this script
# instead of pywinrm. The folder holds nothing else to import.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

import winrm  # noqa: E402
from winrm_simulator import CertPair, WinRMSimulator, make_cert_pair  # noqa: E402
from winrm_simulator.handler import Handler  # noqa: E402

from supportstation.remote.host_keys import HostKeyStore  # noqa: E402
from supportstation.remote.pool import ConnectionPool  # noqa: E402
from supportstation.remote.results import RunState  # noqa: E402
from supportstation.remote.runs import Runner, RunRequest  # noqa: E402
from supportstation.remote.targets import Credentials, Target, WinrmShell, parse_target  # noqa: E402

COMMANDS = 20
USER, PASSWORD = "admin", "bench-Secr3t!"
DEFAULT_ROUNDS = 5
WARM_UP_ROUNDS = 1
TARGET_RATIO = 1.2

REFERENCE = "pywinrm Session.run_cmd"
OURS = "ours Runner.run"

ACTION = re.compile(rb"<(?:\w+:)?Action\b[^>]*>([^<]+)</")


class BenchFailed(Exception):
    """A set-up step failed or a command gave the wrong answer: the bench stops and says which."""


# --- what reaches the simulator --------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the simulator saw during one variant's sequence."""

    connections: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    server_seconds: float = 0.0  # in the request handler's do_POST

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class TrafficCounter:
    """Counts in the simulator's connection threads; `take()` hands over the counts so far and starts afresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one thread per connection: two may count at once
        self._traffic = Traffic()

    def take(self) -> Traffic:
        with self._lock:
            taken, self._traffic = self._traffic, Traffic()
        return taken

    def connection(self) -> None:
        with self._lock:
            self._traffic.connections += 1

    def status(self, code: int) -> None:
        with self._lock:
            self._traffic.statuses[code] += 1

    def action(self, body: bytes) -> None:
        match = ACTION.search(body[:4096])  # the Action header comes first; the decrypted body over HTTP
        name = match.group(1).decode(errors="replace").rsplit("/", 1)[-1] if match else "?"
        with self._lock:
            self._traffic.actions[name] += 1

    def served(self, seconds: float) -> None:
        with self._lock:
            self._traffic.server_seconds += seconds


def count_traffic(simulator: WinRMSimulator, counter: TrafficCounter, *, nagle: bool) -> None:
    """Wraps the started simulator's request handler and SOAP dispatch: a few counter increments per request, the
    same for both clients, instead of a proxy that would add a hop of its own. Unless `nagle`, the simulator's
    connections also get TCP_NODELAY (see the docstring)."""

    class CountingHandler(Handler):
        def setup(self) -> None:
            counter.connection()
            super().setup()
            if not nagle:
                # The simulator writes an answer's headers and body in two sends: with Nagle's algorithm the body
                # waits for the client's delayed ACK of the headers, ~40 ms on Linux, which Windows' HTTP.sys
                # does not make a client wait.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def send_response(self, code: int, message: str | None = None) -> None:
            counter.status(code)
            super().send_response(code, message)

        def do_POST(self) -> None:
            started = time.perf_counter()
            try:
                super().do_POST()
            finally:
                counter.served(time.perf_counter() - started)

    assert simulator._server is not None, "start the simulator first"
    simulator._server.RequestHandlerClass = CountingHandler  # read for every new connection
    answer = simulator._answer  # called with the SOAP body, decrypted when it came sealed

    def counted_answer(body: bytes, user: str) -> tuple[int, bytes | None]:
        counter.action(body)
        return answer(body, user)

    simulator._answer = counted_answer  # type: ignore[method-assign]


# --- the variants ----------------------------------------------------------------------------------------------------


@dataclass
class Lab:
    folder: Path
    simulator: WinRMSimulator
    certs: CertPair | None  # None with --http
    counter: TrafficCounter
    reference_validation: str  # "ca" or "ignore": how pywinrm treats the HTTPS certificate

    @property
    def target(self) -> Target:
        scheme = "winrm+https" if self.certs else "winrm+http"
        target = parse_target(f"{scheme}://{USER}@127.0.0.1:{self.simulator.port}")
        assert target.winrm is not None
        pinned = sha256_of(self.certs) if self.certs else ""
        return dataclasses.replace(
            target, winrm=dataclasses.replace(target.winrm, shell=WinrmShell.CMD, cert_fingerprint=pinned)
        )


@dataclass
class Sample:
    seconds: float
    traffic: Traffic


def sha256_of(certs: CertPair) -> str:
    """The fingerprint an engineer pins: SHA-256 of the certificate's DER bytes."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(certs.cert.read_text())).hexdigest()


def run_reference(lab: Lab) -> Sample:
    lab.counter.take()
    # Verified against the test CA as a careful script would (the pin is ours); over HTTP pywinrm seals with NTLM
    # by default.
    trust: dict[str, str] = {}
    if lab.certs and lab.reference_validation == "ca":
        trust["ca_trust_path"] = str(lab.certs.ca)
    elif lab.certs:
        trust["server_cert_validation"] = "ignore"
    started = time.perf_counter()
    session = winrm.Session(lab.simulator.url, auth=(USER, PASSWORD), transport="ntlm", **trust)
    for number in range(COMMANDS):
        response = session.run_cmd("echo", [str(number)])
        if response.status_code != 0 or response.std_out != f"{number}\n".encode():
            raise BenchFailed(f"pywinrm: echo {number} gave {response.status_code}, {response.std_out!r}")
    session.protocol.transport.close_session()  # run_cmd closed it already; a no-op kept for symmetry
    elapsed = time.perf_counter() - started
    return Sample(elapsed, lab.counter.take())


async def ours_sequence(lab: Lab, target: Target) -> float:
    started = time.perf_counter()
    pool = ConnectionPool(
        HostKeyStore(lab.folder / "known_hosts"), credentials=lambda _target: Credentials(password=PASSWORD)
    )
    runner = Runner(pool)
    try:
        for number in range(COMMANDS):
            result = await runner.run(RunRequest(target, f"echo {number}"))
            if result.state is not RunState.SUCCEEDED or result.stdout != f"{number}\n":
                raise BenchFailed(f"ours: echo {number} ended {result.state}, {result.stdout!r}, {result.error}")
    finally:
        await pool.close()
    return time.perf_counter() - started


def run_ours(lab: Lab) -> Sample:
    target = lab.target
    lab.counter.take()
    elapsed = asyncio.run(ours_sequence(lab, target))
    return Sample(elapsed, lab.counter.take())


# --- the bench -------------------------------------------------------------------------------------------------------


def run_rounds(variants: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(WARM_UP_ROUNDS + rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            sample = variants[name]()
            if round_number >= WARM_UP_ROUNDS:
                samples[name].append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return samples


INCLUDES = {
    REFERENCE: f"winrm.Session (NTLM) and {COMMANDS} run_cmd in sequence: Create, Command, Receive…, Signal, Delete "
    "each; connections and NTLM as pywinrm makes them",
    OURS: f"fresh ConnectionPool + Runner (no recorder), connect (certificate fetched and compared, login checked), "
    f"{COMMANDS} Runner.run in sequence in one event loop, pool.close()",
}


# Traffic columns, each the median over the rounds divided by the number of commands.
PER_COMMAND: dict[str, Callable[[Traffic], float]] = {
    "conns": lambda traffic: traffic.connections,
    "HTTP": lambda traffic: traffic.requests,
    "401s": lambda traffic: traffic.statuses[401],
    "500s": lambda traffic: traffic.statuses[500],
    "server ms": lambda traffic: traffic.server_seconds * 1000,
}


def per_command(values: list[Sample]) -> dict[str, float]:
    return {
        column: statistics.median(measure(sample.traffic) for sample in values) / COMMANDS
        for column, measure in PER_COMMAND.items()
    }


def report(samples: dict[str, list[Sample]], setting: str, rounds: int, load: float) -> dict[str, object]:
    medians = {name: statistics.median(s.seconds for s in values) for name, values in samples.items()}
    traffic = {name: per_command(values) for name, values in samples.items()}
    reference = medians[REFERENCE]
    print(f"\n{COMMANDS} × `echo N` in sequence on one WinRM simulator, median of {rounds} rounds; {setting}")
    print("Ratio = time / pywinrm's time. Traffic: what reached the simulator, per command (medians ÷ 20, the")
    print("first command's connect included); server ms = time in the simulator's request handler, per command.\n")
    width = max(len(name) for name in medians)
    columns = "".join(f"  {column:>9}" for column in PER_COMMAND)
    print(f"{'variant':<{width}}  {'median s':>8}  {'min s':>6}  {'max s':>6}  {'ms/cmd':>6}  {'ratio':>6}{columns}")
    for name, values in samples.items():
        median = medians[name]
        seconds = [s.seconds for s in values]
        figures = "".join(f"  {value:>9.2f}" for value in traffic[name].values())
        print(
            f"{name:<{width}}  {median:>8.3f}  {min(seconds):>6.3f}  {max(seconds):>6.3f}"
            f"  {median / COMMANDS * 1000:>6.1f}  {median / reference:>5.2f}×{figures}"
        )
    print("\nSOAP actions per sequence (last round):")
    for name, values in samples.items():
        actions = values[-1].traffic.actions
        print(f"  {name}: " + ", ".join(f"{action} {count}" for action, count in sorted(actions.items())))
    print("\nWhat each time includes:")
    for name, text in INCLUDES.items():
        print(f"  {name}: {text}")
    print(
        f"\nMachine load (1-minute average): {load:.1f} when the rounds began, {os.getloadavg()[0]:.1f} at the end,"
        f" on {os.cpu_count()} CPUs; compare within a run."
    )
    ratio = medians[OURS] / reference
    verdict = ratio <= TARGET_RATIO
    print(f"\nTarget: ours ≤ {TARGET_RATIO}× pywinrm's run_cmd on the same simulator.")
    print(f"  {OURS}: {ratio:.2f}× → {'PASS' if verdict else 'FAIL'}")
    return {
        "commands": COMMANDS,
        "setting": setting,
        "rounds": rounds,
        "samples": {
            name: [
                {
                    "seconds": s.seconds,
                    "connections": s.traffic.connections,
                    "http_statuses": dict(s.traffic.statuses),
                    "actions": dict(s.traffic.actions),
                    "server_seconds": s.traffic.server_seconds,
                }
                for s in values
            ]
            for name, values in samples.items()
        },
        "medians_s": medians,
        "per_command": traffic,
        "ratio": ratio,
        "includes": INCLUDES,
        "load_average": [load, os.getloadavg()[0]],
        "target_ratio": TARGET_RATIO,
        "pass": verdict,
    }


def setting_of(arguments: argparse.Namespace) -> str:
    if arguments.http:
        transport = "plain HTTP, NTLM, messages sealed by both clients"
    elif arguments.reference_validation == "ca":
        transport = "HTTPS, NTLM; ours pins the certificate, pywinrm verifies it against the test CA"
    else:
        transport = "HTTPS, NTLM; ours pins the certificate, pywinrm ignores it"
    sockets = "simulator sockets as they are (Nagle)" if arguments.nagle else "simulator sockets with TCP_NODELAY"
    return f"{transport}; {sockets}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="measured rounds per variant (default 5)")
    parser.add_argument("--http", action="store_true", help="plain HTTP with NTLM message encryption, not HTTPS")
    parser.add_argument(
        "--reference-validation",
        choices=("ca", "ignore"),
        default="ca",
        help="pywinrm verifies the certificate against the test CA (default) or ignores it",
    )
    parser.add_argument(
        "--nagle",
        action="store_true",
        help="leave the simulator's sockets as they are: every answer with a body then waits ~40 ms (see above)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the samples and medians to FILE")
    arguments = parser.parse_args()
    # The simulator logs every request at debug level, and a stray root configuration must not time the logging.
    logging.getLogger("winrm_simulator").setLevel(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="ss-bench-winrm-"))
    try:
        certs = None if arguments.http else make_cert_pair(folder / "certs")
        counter = TrafficCounter()
        with WinRMSimulator(users={USER: PASSWORD}, https=certs, auth=("ntlm",)) as simulator:
            count_traffic(simulator, counter, nagle=arguments.nagle)
            lab = Lab(folder, simulator, certs, counter, arguments.reference_validation)
            variants: dict[str, Callable[[], Sample]] = {
                REFERENCE: lambda: run_reference(lab),
                OURS: lambda: run_ours(lab),
            }
            load = os.getloadavg()[0]
            samples = run_rounds(variants, arguments.rounds)
            if simulator.open_shells:
                raise BenchFailed(f"{simulator.open_shells} shells were left open on the simulator")
        summary = report(samples, setting_of(arguments), arguments.rounds, load)
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
