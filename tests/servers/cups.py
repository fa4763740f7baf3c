"""A real CUPS server for the printing tests: Debian's /usr/sbin/cupsd in the foreground, with its own configuration,
spool, state and logs in a temp folder, listening on a Unix socket there and on a free loopback port.

It never reads or writes the machine's /etc/cups or /run/cups: `cupsd -c cupsd.conf -s cups-files.conf` and every
folder directive point into the folder. A queue made with `add_file_queue` writes each job to a file through the
Generic PDF driver of cups-filters (pdftopdf only: the text of Qt's PDF stays extractable; cups-pdf would go through
Ghostscript). Stopped by PID with whatever filters it still runs, so no cupsd outlives the test session.

Traps found while building this (CUPS 2.4.2, Debian 12):
- libcups reads CUPS_SERVER once per thread and keeps the answer, and its connection, in per-thread globals: setting
  the variable is not enough for a thread that already talked to another server; `use_server` also calls
  cupsSetServer(NULL) in the calling thread so its next request reads the variable again. New threads read it afresh.
- cupsd opens a `file:` device itself (as root when started by root; the file is made 0600), but runs the filters as
  `User` (lp): the folder must be traversable by lp, which pytest's 0700 tmp folders are not.
- As another user than root, cupsd runs as that user: `User` and `Group` must then name that user and their group.
- Qt submits the job with cupsPrintFile when the painter ends and ignores its result: a refused job is only seen
  through cupsLastError() (printing.py checks it) or the queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.postgres import free_port
from tests.servers.sshd import descendants, terminate

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
LPSTAT = "/usr/bin/lpstat"
CUPSREJECT = "/usr/sbin/cupsreject"
# The driver that passes Qt's PDF through pdftopdf unchanged (package cups-filters); the name `lpinfo -m` gives it.
GENERIC_PDF_DRIVER = "lsb/usr/cupsfilters/Generic-PDF_Printer-PDF.ppd"
GENERIC_PDF_PPD = Path("/usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd")
START_TIMEOUT = 10.0
JOB_TIMEOUT = 30.0


def missing_reason() -> str:
    """Why no CUPS server can run here, or "" when it can."""
    for binary in (CUPSD, LPADMIN, LPSTAT, CUPSREJECT):
        if not Path(binary).exists():
            return f"CUPS is not installed ({binary} is missing; tools/bootstrap --test installs cups)"
    if not GENERIC_PDF_PPD.exists():
        return f"the Generic PDF driver is missing ({GENERIC_PDF_PPD}; tools/bootstrap --test installs cups-filters)"
    return ""


@dataclass
class FileQueue:
    """A print queue that writes each job's PDF to `output` (the same file: a new job replaces the last one)."""

    name: str
    output: Path


@dataclass
class CupsServer:
    folder: Path
    port: int
    pid: int = 0
    queues: dict[str, FileQueue] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.folder / "cups.sock"

    @property
    def address(self) -> str:
        """What CUPS_SERVER and the -h option of the CUPS commands take: the Unix socket."""
        return str(self.socket_path)

    @property
    def error_log(self) -> Path:
        return self.folder / "log" / "error_log"

    def log_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    # -- configuration and life --

    def _identity(self) -> tuple[str, str, str]:
        """User and Group the filters run as, and the SystemGroup of administrators."""
        if os.geteuid() == 0:
            return "lp", "lp", "root"  # Debian's printing account: filters never run as root
        user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
        return user, group, group  # cupsd started by a user runs as that user, whatever User says

    def write_configuration(self) -> tuple[Path, Path]:
        user, group, administrators = self._identity()
        for name in ("root", "spool", "cache", "state", "tmp", "log", "out"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        files = self.folder / "cups-files.conf"
        files.write_text(
            "\n".join(
                [
                    f"ServerRoot {self.folder / 'root'}",
                    f"RequestRoot {self.folder / 'spool'}",
                    f"CacheDir {self.folder / 'cache'}",
                    f"StateDir {self.folder / 'state'}",
                    f"TempDir {self.folder / 'tmp'}",
                    f"ErrorLog {self.error_log}",
                    f"AccessLog {self.folder / 'log' / 'access_log'}",
                    f"PageLog {self.folder / 'log' / 'page_log'}",
                    f"Printcap {self.folder / 'state' / 'printcap'}",
                    "FileDevice Yes",  # file: device URIs, refused by default
                    f"User {user}",
                    f"Group {group}",
                    f"SystemGroup {administrators}",
                ]
            )
            + "\n"
        )
        daemon = self.folder / "cupsd.conf"
        daemon.write_text(
            "\n".join(
                [
                    "LogLevel debug",
                    f"Listen 127.0.0.1:{self.port}",
                    f"Listen {self.socket_path}",
                    "Browsing Off",
                    "WebInterface No",
                    "DefaultAuthType None",
                    # Local test server: every operation, administration included, is open to every local client.
                    "<Location />",
                    "  Order allow,deny",
                    "  Allow all",
                    "</Location>",
                    "<Policy default>",
                    "  <Limit All>",
                    "    Order deny,allow",
                    "  </Limit>",
                    "</Policy>",
                ]
            )
            + "\n"
        )
        return daemon, files

    def start(self) -> None:
        daemon, files = self.write_configuration()
        self.socket_path.unlink(missing_ok=True)
        with (self.folder / "cupsd.out").open("ab") as output:
            self._process = subprocess.Popen(
                [CUPSD, "-f", "-c", str(daemon), "-s", str(files)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )
        self.pid = self._process.pid
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            code = self._process.poll()
            if code is not None or time.monotonic() > deadline:
                self.stop()
                state = f"exited with {code}" if code is not None else f"not answering after {START_TIMEOUT} s"
                startup = (self.folder / "cupsd.out").read_text(errors="replace")
                raise RuntimeError(f"cupsd {state}:\n{startup}\n{self.log_text()[-4000:]}")
            time.sleep(0.02)

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        return self.lpstat("-r", check=False).returncode == 0

    def stop(self) -> None:
        """Stop cupsd and the filters it still runs, by PID. Idempotent."""
        if self._process is None:
            return
        process, self._process = self._process, None
        terminate([process.pid, *descendants(process.pid)])
        process.wait(timeout=5)  # reaps it: no zombie left behind

    # -- queues and jobs --

    def lpstat(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LPSTAT, "-h", self.address, *arguments],
            capture_output=True,
            text=True,
            check=check,
            env=_c_locale(),
            timeout=10,
        )

    def lpadmin(self, *arguments: str) -> None:
        done = subprocess.run(
            [LPADMIN, "-h", self.address, *arguments], capture_output=True, text=True, env=_c_locale(), timeout=10
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"lpadmin {' '.join(arguments)} failed: {done.stderr.strip()}\n{self.log_text()[-2000:]}"
            )

    def add_file_queue(self, name: str, *, default: bool = False) -> FileQueue:
        """A queue printing to out/<name>.pdf through the Generic PDF driver, enabled and accepting jobs."""
        output = self.folder / "out" / f"{name}.pdf"
        self.lpadmin("-p", name, "-E", "-v", f"file://{output}", "-m", GENERIC_PDF_DRIVER)
        if default:
            self.lpadmin("-d", name)
        queue = FileQueue(name, output)
        self.queues[name] = queue
        return queue

    def reject_jobs(self, name: str) -> None:
        """The queue refuses new jobs (what an administrator's `cupsreject` does)."""
        subprocess.run([CUPSREJECT, "-h", self.address, name], check=True, capture_output=True, env=_c_locale())

    def remove_queue(self, name: str) -> None:
        self.lpadmin("-x", name)
        self.queues.pop(name, None)

    def job_ids(self, queue: str, which: str) -> list[str]:
        """The ids ("FilePDF-3") of the queue's jobs, `which` being "completed" or "not-completed"."""
        listing = self.lpstat("-W", which, "-o", queue, check=False).stdout
        return [line.split()[0] for line in listing.splitlines() if line.strip()]

    def wait_for_output(self, queue: FileQueue, completed_before: int, timeout: float = JOB_TIMEOUT) -> bytes:
        """The PDF of the queue's next job: waits until the job left the queue as completed and its file stopped
        growing. `completed_before` is len(job_ids(queue.name, "completed")) taken before printing."""
        deadline = time.monotonic() + timeout
        last_size = -1
        while True:
            done = len(self.job_ids(queue.name, "completed")) > completed_before
            pending = self.job_ids(queue.name, "not-completed")
            size = queue.output.stat().st_size if queue.output.exists() else -1
            if done and not pending and size > 0 and size == last_size:
                return queue.output.read_bytes()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no completed job on {queue.name} after {timeout} s (pending {pending}, output size {size});"
                    f" cupsd log:\n{self.log_text()[-4000:]}"
                )
            last_size = size
            time.sleep(0.1)


def _c_locale() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C", "LANG": "C"}


def _libcups() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("cups")
    return ctypes.CDLL(name) if name else None


def forget_server_in_this_thread() -> None:
    """Make libcups read CUPS_SERVER again in this thread (it keeps the server and its connection per thread)."""
    library = _libcups()
    if library is not None:
        library.cupsSetServer.argtypes = [ctypes.c_char_p]
        library.cupsSetServer(None)


@contextlib.contextmanager
def use_server(server: CupsServer) -> Iterator[None]:
    """CUPS_SERVER points at `server` for this process (Qt's print support then sees its queues); restored after."""
    previous = os.environ.get("CUPS_SERVER")
    os.environ["CUPS_SERVER"] = server.address
    forget_server_in_this_thread()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = previous
        forget_server_in_this_thread()


@contextlib.contextmanager
def running_cupsd() -> Iterator[CupsServer]:
    """A cupsd of its own in a fresh folder under the system temp folder, stopped and removed on exit.

    Not under pytest's tmp folders: the filters run as lp, and the Unix socket's path must stay under 108 bytes.
    """
    folder = Path(tempfile.mkdtemp(prefix="sst-cups-"))
    folder.chmod(0o755)
    server = CupsServer(folder=folder, port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
