"""The Linux starter procedures run through the engine on real hosts (sshd on 127.0.0.1, and hosts in network
namespaces), each after the test has made the fault it is written to find:

- disk full: a 16 MiB tmpfs mounted and filled, with a big archive and a deleted file a process keeps open;
- service restart: an init script whose service is stopped (this machine has no systemd: the procedure's
  `service` branch runs), restarted in a namespace host, then one whose configuration makes it die at start;
- log collection: log files, one readable by root only, archived with sudo and downloaded;
- memory pressure: a process holding 768 MiB, and one the kernel's OOM killer ends in a memory cgroup;
- TLS certificate: openssl s_server with a certificate that expires in 5 days, then one signed by a trusted CA;
- network reachability: a namespace host whose port answers, then whose link is cut; the port check's POSIX sh run
  by dash with bash, with nc only, and with neither.

Each asserts that the procedure finds it: the step that looks for it fails (or passes) on what the host answered,
the captured values and the final note say what was found, and the consent holds back what disrupts or copies.
Everything made is removed at the end, processes by their PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation.procedures.engine import Need, ProcedureEngine
from supportstation.procedures.files import load
from supportstation.procedures.run_store import RunStatus, StepStatus
from supportstation.procedures.templates import render, resolve_parameters
from supportstation.remote.targets import AuthMethod, Target
from supportstation.storage.models import Attachment
from supportstation.storage.run_models import RemoteRun
from tests.procedures.conftest import ProcedureLab
from tests.procedures.starter_lab import LINUX, STARTERS, Outputs, finish, go_to, latest, note, password_services
from tests.servers import sshd as servers
from tests.servers.fixtures import skip_or_fail
from tests.servers.netns import NamespaceHost
from tests.servers.postgres import free_port

DISK_FULL = load(LINUX / "disk-full.yaml")
RESTART = load(LINUX / "service-restart.yaml")
COLLECT = load(LINUX / "collect-logs.yaml")
MEMORY = load(LINUX / "memory-pressure.yaml")
TLS = load(STARTERS / "tls-certificate.yaml")
REACHABILITY = load(STARTERS / "network-reachability.yaml")
HOST = "srv-web-01"  # the lab's sshd on 127.0.0.1
PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable


def shared_folder(ssh_folder: Path, prefix: str) -> Path:
    """A folder under the SSH fixtures' root, which the test user can enter."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=ssh_folder))
    folder.chmod(0o755)
    return folder


def named_python(folder: Path, name: str) -> Path:
    """A link to Python under `name`: the process then shows as `name` in ps, /proc/PID/comm and the kernel's log."""
    link = folder / name
    link.symlink_to(PYTHON)
    return link


def stop_process(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing listens on {host}:{port}")
        time.sleep(0.05)


# --- disk full --------------------------------------------------------------------------------------------------


@dataclass
class FullDisk:
    mount: Path
    holder: subprocess.Popen[bytes]  # keeps a deleted 4 MiB file open


@pytest.fixture
def full_disk(ssh_folder: Path) -> Iterator[FullDisk]:
    """A 16 MiB tmpfs filled to 100 %: an 8 MiB archive, cache files, a 4 MiB deleted file a process holds open, and
    a log that took the rest."""
    folder = shared_folder(ssh_folder, "disk-")
    mount = folder / "mnt"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount)], check=True)
    holder = None
    try:
        for sub in ("app/archive", "app/cache", "app/spool", "app/logs"):
            (mount / sub).mkdir(parents=True)
        (mount / "app/archive/dump-2026-11.tar").write_bytes(b"\x01" * (8 << 20))
        for number in range(4):
            (mount / f"app/cache/chunk-{number}.bin").write_bytes(b"\x02" * (256 << 10))
        spool = mount / "app/spool/job.tmp"
        holder = subprocess.Popen(
            [
                str(named_python(folder, "sst-holder")),
                "-c",
                "import os, sys, time\n"
                "f = open(sys.argv[1], 'wb'); f.write(b'\\x03' * (4 << 20)); f.flush(); os.unlink(sys.argv[1])\n"
                "print('ready', flush=True); time.sleep(600)",
                str(spool),
            ],
            stdout=subprocess.PIPE,
        )
        assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
        with (mount / "app/logs/app.log").open("wb") as log, contextlib.suppress(OSError):  # ENOSPC: full
            while True:
                log.write(b"2026-11-23 10:00:00 ERROR retrying\n" * 1024)
                log.flush()
        yield FullDisk(mount, holder)
    finally:
        if holder is not None:
            stop_process(holder)
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.asyncio
async def test_disk_full_triage_finds_the_full_filesystem_what_fills_it_and_the_deleted_open_file(
    procedure_lab: ProcedureLab, sudo_rights: Path, full_disk: FullDisk
) -> None:
    mount = full_disk.mount
    outputs = Outputs()
    services = password_services(procedure_lab, servers.TEST_PASSWORD, observer=outputs)
    parameters = {"path": str(mount / "app"), "min_file_mb": 1, "top": 10}
    try:
        engine = await ProcedureEngine.start(services, DISK_FULL, targets=[HOST], parameters=parameters)
        await finish(engine)
        records = latest(engine)
        assert records["filesystems"].state is StepStatus.FAILED
        assert f"FINDING: {mount} is 100% full" in outputs.text(engine, "filesystems")
        assert records["target"].captured == {
            "mount": str(mount),
            "fs_type": "tmpfs",
            "used_pct": "100",
            "size_mib": "16",
            "avail_mib": "0",
            "inode_pct": records["target"].captured["inode_pct"],
        }
        assert engine.values["biggest_dirs"].startswith(f"{mount}/app (")
        assert f"{mount}/app/archive (8 MiB)" in engine.values["biggest_dirs"]
        assert engine.values["biggest_file"] == f"{mount}/app/archive/dump-2026-11.tar (8 MiB)"
        # The space df counts and du does not: the deleted file, and who holds it (found through sudo: root's).
        assert records["deleted_open"].state is StepStatus.FAILED
        assert "FINDING: 1 deleted file(s) still open hold 4.0 MiB" in records["deleted_open"].reason
        assert records["deleted_open"].captured == {
            "deleted_count": "1",
            "deleted_mib": "4",
            "deleted_holder": f"sst-holder (pid {full_disk.holder.pid})",
        }
        assert f"{mount}/app/spool/job.tmp (deleted)" in outputs.text(engine, "deleted_open")
        assert records["logs"].state is StepStatus.PASSED
        assert note(engine).startswith(
            f"Filesystem {mount} (tmpfs): 100% used, 0 MiB free of 16 MiB, inodes used: "
            f"{engine.values['inode_pct']}%. Biggest directories: {mount}/app ("
        )
        assert "Deleted files still open: 1 (4 MiB, the first held by sst-holder" in note(engine)
        assert (mount / "app/archive/dump-2026-11.tar").exists()  # a triage deletes nothing
    finally:
        await services.pool.close()


# --- service restart --------------------------------------------------------------------------------------------

INIT_SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $network
# Required-Stop:     $network
# Default-Start:
# Default-Stop:
# Short-Description: a web service made by SupportStation's tests (tests/procedures/test_starter_linux.py)
### END INIT INFO
NAME={name}
PIDFILE=/run/$NAME.pid
LOG=/var/log/$NAME.log
PORT=8080
[ -r /etc/default/$NAME ] && . /etc/default/$NAME
case "$1" in
  start)
    echo "$(date '+%F %T') starting $NAME on port $PORT" >> "$LOG"
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --startas /bin/sh -- \\
      -c "exec {python} -m http.server --bind 0.0.0.0 --directory {docroot} $PORT >> $LOG 2>&1"
    ;;
  stop)
    start-stop-daemon --stop --quiet --pidfile "$PIDFILE" --retry TERM/5/KILL/2
    rm -f "$PIDFILE"
    exit 0
    ;;
  status)
    start-stop-daemon --status --pidfile "$PIDFILE"
    ;;
  restart)
    "$0" stop
    "$0" start
    ;;
  *)
    echo "Usage: $0 start|stop|status|restart" >&2
    exit 2
    ;;
esac
"""


@dataclass
class WebService:
    name: str
    host: NamespaceHost
    config: Path
    log: Path
    pidfile: Path

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text())
        except (OSError, ValueError):
            return None
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return None
        return None if state in ("Z", "X") else pid

    def listening(self) -> bool:
        listed = subprocess.run(
            ["ip", "netns", "exec", self.host.namespace, "ss", "-ltn"], capture_output=True, text=True, check=True
        )
        return ":8080 " in listed.stdout


@pytest.fixture
def stopped_service(
    procedure_lab: ProcedureLab,
    ssh_folder: Path,
    ssh_user: servers.SshUser,
    netns_hosts: Callable[[int], list[NamespaceHost]],
) -> Iterator[WebService]:
    """A web service with an init script, stopped, on a host of its own (a network namespace with sshd)."""
    [host] = netns_hosts(1)
    name = f"sst-web-{os.getpid()}"
    docroot = shared_folder(ssh_folder, "web-")
    (docroot / "index.html").write_text("<h1>SupportStation test service</h1>\n")
    script, config = Path("/etc/init.d", name), Path("/etc/default", name)
    service = WebService(name, host, config, Path("/var/log", f"{name}.log"), Path("/run", f"{name}.pid"))
    script.write_text(INIT_SCRIPT.format(name=name, python=PYTHON, docroot=docroot))
    script.chmod(0o755)
    config.write_text("PORT=8080\n")
    procedure_lab.hosts["srv-app-01"] = Target(
        host=host.address, port=22, user=ssh_user.name, auth=AuthMethod.KEY, identity_files=(ssh_user.key,)
    )
    known = procedure_lab.known_hosts.read_text() + host.sshd.known_hosts_line() + "\n"
    procedure_lab.known_hosts.write_text(known)
    try:
        yield service
    finally:
        pid = service.running_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for path in (script, config, service.log, service.pidfile):
            path.unlink(missing_ok=True)
        shutil.rmtree(docroot, ignore_errors=True)


@pytest.mark.asyncio
async def test_a_stopped_service_is_restarted_only_after_consent_and_checked_on_its_port_and_url(
    procedure_lab: ProcedureLab, sudo_rights: Path, stopped_service: WebService
) -> None:
    service = stopped_service
    outputs = Outputs()
    services = password_services(procedure_lab, servers.TEST_PASSWORD, observer=outputs)
    parameters = {"service": service.name, "port": 8080, "url": "http://127.0.0.1:8080/", "wait_seconds": 20}
    try:
        engine = await ProcedureEngine.start(services, RESTART, targets=["srv-app-01"], parameters=parameters)
        await go_to(engine, Need.CONSENT, "consent")
        assert engine.values["init"] == "sysv"  # no systemd here: the init script's branch
        assert engine.values["state_before"] == "inactive"
        # Waiting for the customer: the service has not been touched.
        assert service.running_pid() is None and not service.listening()

        await engine.consent("Jean Martin", "JM")
        await finish(engine)
        assert engine.state is RunStatus.COMPLETED
        pid = service.running_pid()
        assert pid is not None and service.listening()
        # Started through the host's sshd, the service runs inside that host's network namespace.
        identified = subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True)
        assert identified.stdout.strip() == service.host.namespace
        records = latest(engine)
        for step in ("restart", "wait_active", "port_check", "url_check"):
            assert records[step].state is StepStatus.PASSED, (step, records[step].reason)
        assert records["logs"].state is StepStatus.NOT_APPLICABLE  # only read when something failed
        assert note(engine) == (
            f"Service {service.name} (sysv): inactive before, active after the restart. Port: listening. "
            "URL: HTTP status 200."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_a_service_that_dies_at_start_is_reported_with_its_log_lines(
    procedure_lab: ProcedureLab, sudo_rights: Path, stopped_service: WebService
) -> None:
    service = stopped_service
    service.config.write_text("PORT=not-a-port\n")  # the daemon refuses it and exits at once
    outputs = Outputs()
    services = password_services(procedure_lab, servers.TEST_PASSWORD, observer=outputs, language="fr")
    parameters = {"service": service.name, "port": 8080, "url": "http://127.0.0.1:8080/", "wait_seconds": 5}
    try:
        engine = await ProcedureEngine.start(services, RESTART, targets=["srv-app-01"], parameters=parameters)
        await go_to(engine, Need.CONSENT, "consent")
        await engine.consent("Jean Martin", "JM")
        await finish(engine)
        records = latest(engine)
        assert records["restart"].state is StepStatus.PASSED  # the init script said it started…
        assert records["wait_active"].state is StepStatus.FAILED  # …but it never stayed up
        assert f"FINDING: {service.name} is inactive 5 s after the restart" in records["wait_active"].reason
        assert records["port_check"].state is StepStatus.FAILED
        assert records["url_check"].state is StepStatus.FAILED
        assert engine.values["http_status"] == "000"
        assert records["logs"].state is StepStatus.PASSED
        logs = outputs.text(engine, "logs")
        assert f"== {service.log}" in logs and "invalid int value: 'not-a-port'" in logs
        assert note(engine) == (
            f"Service {service.name} (sysv) : inactive avant, inactive après le redémarrage. Port : closed. "
            "URL : statut HTTP 000."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_an_unknown_service_stops_the_procedure_before_the_consent(
    procedure_lab: ProcedureLab, sudo_rights: Path
) -> None:
    services = password_services(procedure_lab, servers.TEST_PASSWORD)
    try:
        engine = await ProcedureEngine.start(
            services, RESTART, targets=[HOST], parameters={"service": "sst-no-such-service"}
        )
        await go_to(engine, Need.DECISION, "state_before")
        assert engine.state is RunStatus.FAILED
        assert "consent" not in latest(engine)
    finally:
        await services.pool.close()


# --- log collection ---------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_logs_are_archived_with_sudo_downloaded_and_removed_from_the_host(
    procedure_lab: ProcedureLab, sudo_rights: Path, ssh_folder: Path, tmp_path: Path
) -> None:
    folder = shared_folder(ssh_folder, "logs-")
    app = folder / "app"
    app.mkdir()
    (app / "app.log").write_text("2026-11-23 10:00:01 ERROR payment gateway timeout\n")
    (app / "app.log.1").write_text("2026-11-22 23:59:59 INFO rotated\n")
    (app / "audit.log").write_text("2026-11-23 09:12:00 login admin\n")
    (app / "audit.log").chmod(0o600)  # root's only: the archive needs sudo
    paths = f"{app}/*.log {app}/app.log.1 {folder}/missing.log"
    outputs = Outputs()
    downloads = tmp_path / "downloads"
    services = password_services(procedure_lab, servers.TEST_PASSWORD, observer=outputs, downloads=downloads)
    engine = None
    try:
        engine = await ProcedureEngine.start(
            services, COLLECT, targets=[HOST], parameters={"paths": paths, "journal_hours": 1}
        )
        await go_to(engine, Need.CONSENT, "consent")
        # The consent comes first: until it is given, no command at all has run on the host.
        with procedure_lab.database.session() as session:
            assert engine.records == [] and session.scalars(select(RemoteRun)).all() == []

        await engine.consent("Claire Petit", "CP")
        await finish(engine)
        assert engine.state is RunStatus.COMPLETED
        records = latest(engine)
        assert all(record.state is StepStatus.PASSED for record in records.values()), records
        assert f"missing: {folder}/missing.log" in outputs.text(engine, "select")
        assert engine.values["matched"] == "3"
        archive = Path(engine.values["archive"])
        assert archive.parent == Path("/tmp") and not archive.exists()  # removed from the host
        downloaded = downloads / f"run-{engine.run_id}" / engine.values["archive_name"]
        relative = str(app).lstrip("/")
        with tarfile.open(downloaded) as opened:
            names = set(opened.getnames())
            assert {f"{relative}/app.log", f"{relative}/audit.log", f"{relative}/app.log.1", "host.txt"} <= names
            log = opened.extractfile(f"{relative}/app.log")
            assert log is not None and log.read() == b"2026-11-23 10:00:01 ERROR payment gateway timeout\n"
        assert engine.values["members"] == "4"
        with procedure_lab.database.session() as session:
            attached = [attachment.file_name for attachment in session.scalars(select(Attachment))]
        assert attached == [engine.values["archive_name"]]  # attached to the ticket as evidence
        assert note(engine).startswith(f"3 log file(s) or folder(s) archived in {engine.values['archive_name']} (")
    finally:
        await services.pool.close()
        shutil.rmtree(folder, ignore_errors=True)
        if engine is not None and str(engine.values.get("archive", "")).startswith("/tmp/supportstation-logs-"):
            Path(str(engine.values["archive"])).unlink(missing_ok=True)  # a failed run's archive is not left behind


# --- memory pressure --------------------------------------------------------------------------------------------


def memory_cgroup() -> tuple[Path, str, str] | None:
    """This process's memory cgroup folder, and its limit and membership files: (folder, limit file, procs file)."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for line in lines:
        _number, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            if (folder / "memory.limit_in_bytes").exists():
                return folder, "memory.limit_in_bytes", "cgroup.procs"
    for line in lines:
        if line.startswith("0::"):
            mounts = [m.split() for m in Path("/proc/mounts").read_text().splitlines()]
            for _device, where, kind, *_rest in mounts:
                folder = Path(where) / line[3:].lstrip("/")
                if kind == "cgroup2" and "memory" in (folder / "cgroup.controllers").read_text(errors="ignore"):
                    return folder, "memory.max", "cgroup.procs"
    return None


@pytest.fixture
def oom_victim(ssh_folder: Path) -> Iterator[int]:
    """The PID of a process the kernel's OOM killer ended: it asked for 256 MiB in a cgroup allowed 48 MiB."""
    found = memory_cgroup()
    if found is None:
        skip_or_fail("no memory cgroup can be made here to let the kernel kill a process for lack of memory")
    parent, limit_file, procs_file = found  # type: ignore[misc]
    cgroup = parent / f"sst-oom-{os.getpid()}"
    folder = shared_folder(ssh_folder, "oom-")
    try:
        cgroup.mkdir()
    except OSError as error:
        skip_or_fail(f"cannot make a memory cgroup under {parent}: {error}")
    try:
        (cgroup / limit_file).write_text(str(48 << 20))
        if (cgroup / "memory.swap.max").exists():
            (cgroup / "memory.swap.max").write_text("0")

        def join_cgroup() -> None:
            (cgroup / procs_file).write_text(str(os.getpid()))

        victim = subprocess.Popen(
            [str(named_python(folder, "sst-oomvictim")), "-c", "b = b'x' * (256 << 20)"],
            preexec_fn=join_cgroup,
        )
        assert victim.wait(timeout=60) == -signal.SIGKILL
        yield victim.pid
    finally:
        with contextlib.suppress(OSError):
            cgroup.rmdir()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def memory_hog(ssh_folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    folder = shared_folder(ssh_folder, "hog-")
    hog = subprocess.Popen(
        [
            str(named_python(folder, "sst-memhog")),
            "-c",
            "import time\nb = b'x' * (768 << 20)\nprint('ready', flush=True)\ntime.sleep(600)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert hog.stdout is not None and hog.stdout.readline() == b"ready\n"
        yield hog
    finally:
        stop_process(hog)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.asyncio
async def test_memory_triage_names_the_biggest_process_and_the_one_the_oom_killer_ended(
    procedure_lab: ProcedureLab, sudo_rights: Path, memory_hog: subprocess.Popen[bytes], oom_victim: int
) -> None:
    outputs = Outputs()
    services = password_services(procedure_lab, servers.TEST_PASSWORD, observer=outputs)
    try:
        engine = await ProcedureEngine.start(services, MEMORY, targets=[HOST], parameters={"top": 5})
        await finish(engine)
        records = latest(engine)
        assert records["memory"].state is StepStatus.PASSED  # this machine has memory to spare: no finding
        assert int(engine.values["available_pct"]) >= 10
        # (Another test run on this machine may hold its own sst-memhog: the pid is looked for in the list.)
        assert engine.values["top_process"].startswith("sst-memhog (pid ")
        assert re.search(
            rf"^\s+\d+\.\d MiB  pid {memory_hog.pid} +root +sst-memhog$", outputs.text(engine, "top_processes"), re.M
        )
        assert records["oom_kills"].state is StepStatus.FAILED
        assert int(engine.values["oom_kills"]) >= 1
        assert f"Killed process {oom_victim} (sst-oomvictim)" in outputs.text(engine, "oom_kills")
        assert engine.values["oom_last"].startswith("sst-oomvictim (pid ")
        assert "Biggest process: sst-memhog (pid " in note(engine)
        assert note(engine).endswith(f"(last: {engine.values['oom_last']}).")
    finally:
        await services.pool.close()


# --- TLS certificate --------------------------------------------------------------------------------------------


def openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


@contextlib.contextmanager
def tls_server(cert: Path, key: Path) -> Iterator[int]:
    port = free_port()
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key), "-www", "-quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield port
    finally:
        stop_process(server)


NAME = "intranet.example.test"


@pytest.mark.asyncio
async def test_a_certificate_that_expires_in_five_days_is_found(procedure_lab: ProcedureLab, ssh_folder: Path) -> None:
    folder = shared_folder(ssh_folder, "tls-")
    key, cert = folder / "key.pem", folder / "cert.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "5",
            "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}")  # fmt: skip
    services = password_services(procedure_lab, servers.TEST_PASSWORD)
    try:
        with tls_server(cert, key) as port:
            parameters = {"server": "127.0.0.1", "port": port, "server_name": NAME}
            engine = await ProcedureEngine.start(services, TLS, targets=[HOST], parameters=parameters)
            await finish(engine)
        record = latest(engine)["certificate"]
        assert record.state is StepStatus.FAILED
        # Whole days left, rounded down: 4 once a second has passed since the certificate was made, else 5.
        days = record.captured["days_left"]
        assert days in ("4", "5") and f"FINDING: the certificate expires in {days} days" in record.reason
        assert record.captured["subject"] == f"CN = {NAME}"
        assert record.captured["verify"].startswith("18 ")  # self-signed: this host does not trust it
        assert note(engine).startswith(f"TLS certificate of 127.0.0.1:{port}: CN = {NAME}, issued by CN = {NAME}")
    finally:
        await services.pool.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.asyncio
async def test_a_certificate_from_a_trusted_ca_passes_and_a_wrong_name_is_found(
    procedure_lab: ProcedureLab, ssh_folder: Path
) -> None:
    folder = shared_folder(ssh_folder, "tls-")
    ca_key, ca, key, request, cert, extensions = (
        folder / name for name in ("ca.key", "ca.pem", "key.pem", "req.pem", "cert.pem", "ext.cnf")
    )
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "3650",
            "-subj", "/CN=Example Test Root CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(request), "-subj", f"/CN={NAME}")
    extensions.write_text(f"subjectAltName=DNS:{NAME}\n")
    openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "200", "-extfile", str(extensions))  # fmt: skip
    ca.chmod(0o644)
    services = password_services(procedure_lab, servers.TEST_PASSWORD)
    try:
        with tls_server(cert, key) as port:
            trusted = {"server": "127.0.0.1", "port": port, "server_name": NAME, "ca_file": str(ca)}
            engine = await ProcedureEngine.start(services, TLS, targets=[HOST], parameters=trusted)
            await finish(engine)
            wrong = await ProcedureEngine.start(
                services, TLS, targets=[HOST], parameters={**trusted, "server_name": "www.example.test"}
            )
            await finish(wrong)
        record = latest(engine)["certificate"]
        assert record.state is StepStatus.PASSED, record.reason
        assert record.captured["verify"] == "0 (ok)" and record.captured["days_left"] in ("199", "200")
        assert record.captured["issuer"] == "CN = Example Test Root CA"
        mismatch = latest(wrong)["certificate"]
        assert mismatch.state is StepStatus.FAILED
        assert "FINDING: the certificate is not issued for www.example.test" in mismatch.reason
    finally:
        await services.pool.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- network reachability ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_reachability_finds_the_open_port_then_the_cut_link(
    procedure_lab: ProcedureLab, netns_hosts: Callable[[int], list[NamespaceHost]]
) -> None:
    [destination] = netns_hosts(1)
    services = password_services(procedure_lab, servers.TEST_PASSWORD)
    parameters = {"destination": destination.address, "port": 22}
    try:
        engine = await ProcedureEngine.start(services, REACHABILITY, targets=[HOST], parameters=parameters)
        await finish(engine)
        records = latest(engine)
        assert records["resolve"].captured == {"address": destination.address}
        assert records["service"].state is StepStatus.PASSED  # bash is on this host: /dev/tcp, not dash's
        assert re.fullmatch(r"\d", engine.values["replies"])  # ping may be missing here: the step then says so
        assert note(engine).startswith(f"Result: resolved to {destination.address};")
        assert note(engine).endswith("port 22 reachable: True.")

        destination.cut_link()
        try:
            cut = await ProcedureEngine.start(services, REACHABILITY, targets=[HOST], parameters=parameters)
            await finish(cut)
        finally:
            destination.restore_link()
        assert latest(cut)["service"].state is StepStatus.FAILED
        assert note(cut).endswith("port 22 reachable: False.")
    finally:
        await services.pool.close()


def port_check(port: int, path: str) -> subprocess.CompletedProcess[str]:
    """The procedure's port check for 127.0.0.1:`port`, as Debian's /bin/sh (dash) runs it with only `path`."""
    procedure = REACHABILITY.procedure
    step = next(step for step in procedure.steps if step.id == "service")
    assert step.run is not None and step.run.sh is not None
    values = resolve_parameters(procedure, {"destination": "127.0.0.1", "port": port})
    command = render(step.run.sh, "sh", values)
    return subprocess.run(["/bin/dash", "-c", command], env={"PATH": path}, capture_output=True, text=True, timeout=30)


def tools(folder: Path, *names: str) -> str:
    """A PATH with only these programs (and dash's builtins)."""
    folder.mkdir()
    for name in names:
        found = shutil.which(name)
        assert found is not None, name
        (folder / name).symlink_to(found)
    return str(folder)


def test_the_port_check_is_posix_sh_with_bash_or_with_nc_only(sshd: servers.SshServer, tmp_path: Path) -> None:
    closed = free_port()
    with_bash = tools(tmp_path / "bash", "bash", "timeout")
    assert (port_check(sshd.port, with_bash).stdout, port_check(closed, with_bash).stdout) == ("True\n", "False\n")
    neither = port_check(sshd.port, tools(tmp_path / "none"))
    assert neither.returncode == 2 and "Neither bash nor nc is installed" in neither.stderr
    if shutil.which("nc") is None:
        skip_or_fail("netcat-openbsd is not installed: the nc branch of the port check cannot be run")
    only_nc = tools(tmp_path / "nc", "nc")
    opened, refused = port_check(sshd.port, only_nc), port_check(closed, only_nc)
    assert (opened.stdout, opened.returncode) == ("True\n", 0)
    assert (refused.stdout, refused.returncode) == ("False\n", 1)
