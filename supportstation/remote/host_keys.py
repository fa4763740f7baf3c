"""Host keys: what is known, what a host offers, and the engineer's decision about an unknown key.

The app keeps its own known_hosts file (OpenSSH format, so `ssh-keygen -F` and `ssh -o UserKnownHostsFile=` read it)
and reads the user's `~/.ssh/known_hosts` without ever writing it. An unknown key is accepted only by a decision of
the engineer (or an explicit accept-new policy); a changed key is always refused. Never paramiko's AutoAddPolicy.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from supportstation.i18n import _
from supportstation.remote.results import ChangedHostKey, UnknownHostKey

log = logging.getLogger(__name__)


class HostKeyDecision(enum.Enum):
    ACCEPT_ONCE = "once"  # trusted for this connection only
    ACCEPT_ALWAYS = "always"  # written to the app's known_hosts
    REFUSE = "refuse"


@dataclass(frozen=True)
class OfferedKey:
    """A key a host presented, as the engineer is shown it."""

    host: str
    port: int
    key_type: str  # e.g. ssh-ed25519
    key_base64: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(base64.b64decode(self.key_base64))

    @property
    def host_entry(self) -> str:
        return known_hosts_name(self.host, self.port)


HostKeyPrompt = Callable[[OfferedKey], Awaitable[HostKeyDecision]]


def fingerprint_of(key_blob: bytes) -> str:
    """As OpenSSH prints it: `SHA256:` and the unpadded base64 of the key blob's SHA-256."""
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class KeyCheck(enum.Enum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    CHANGED = "changed"


@dataclass(frozen=True)
class CheckResult:
    status: KeyCheck
    stored: tuple[tuple[str, str], ...] = ()  # (key type, fingerprint) of the keys stored for this host


APP_KNOWN_HOSTS_FILE = "known_hosts"  # in the app's data folder


def app_host_keys(data_folder: Path) -> HostKeyStore:
    """The app's known_hosts, in its data folder, and the user's ~/.ssh/known_hosts, read only."""
    return HostKeyStore(data_folder / APP_KNOWN_HOSTS_FILE, Path(os.path.expanduser("~/.ssh/known_hosts")))


class HostKeyStore:
    """The app's known_hosts (read and written) plus the user's (read only).

    The files are parsed once and again only when one of them changes: every connection looks its host up twice,
    and a fan-out to 50 hosts re-reading a 50-line file for each lookup built 5,000 key objects, a quarter of the
    `supportstation run` process's time.
    """

    def __init__(self, app_file: Path, user_file: Path | None = None) -> None:
        self.app_file = app_file
        self.user_file = user_file
        self._lock = threading.Lock()
        self._parsed: tuple[tuple[object, ...], paramiko.HostKeys] | None = None

    def _files(self) -> list[Path]:
        return [path for path in (self.user_file, self.app_file) if path is not None]

    @staticmethod
    def _version(path: Path) -> object:
        """What changes when the file does: written by this store, by OpenSSH or by hand."""
        try:
            status = path.stat()
        except OSError:
            return None
        return (status.st_ino, status.st_size, status.st_mtime_ns)

    def _load(self) -> paramiko.HostKeys:
        with self._lock:
            versions = tuple(self._version(path) for path in self._files())
            if self._parsed is None or self._parsed[0] != versions:
                self._parsed = (versions, self._parse())
            return self._parsed[1]

    def _parse(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        for path in self._files():
            if not path.is_file():
                continue
            try:
                keys.load(os.fspath(path))
            except (OSError, UnicodeDecodeError, paramiko.SSHException) as error:
                # A damaged user file must not lock the engineer out of hosts whose keys are in the app's file.
                log.warning("Cannot read the known hosts file %s: %s", path, error)
        return keys

    def known_types(self, host: str, port: int) -> list[str]:
        """Key types stored for the host, so the key exchange can ask for one of them first (as OpenSSH does)."""
        entry = self._load().lookup(known_hosts_name(host, port))
        return list(entry.keys()) if entry else []

    def check(self, offered: OfferedKey) -> CheckResult:
        entry = self._load().lookup(offered.host_entry)
        if not entry:
            return CheckResult(KeyCheck.UNKNOWN)
        stored = tuple((key_type, fingerprint_of(key.asbytes())) for key_type, key in entry.items())
        known = entry.get(offered.key_type)
        if known is not None and known.get_base64() == offered.key_base64:
            return CheckResult(KeyCheck.KNOWN, stored)
        # Another key of the same type, or only keys of other types while the host offers a new type: OpenSSH
        # refuses both in strict mode, and so do we, since the engineer cannot tell a rotation from an attack here.
        return CheckResult(KeyCheck.CHANGED, stored)

    def add(self, offered: OfferedKey) -> None:
        """Appends to the app's file, in OpenSSH's format; the user's file is never written."""
        with self._lock:
            self.app_file.parent.mkdir(parents=True, exist_ok=True)
            line = f"{offered.host_entry} {offered.key_type} {offered.key_base64}\n"
            needs_newline = self.app_file.is_file() and not self.app_file.read_bytes().endswith(b"\n")
            with self.app_file.open("a", encoding="ascii") as file:
                file.write(("\n" if needs_newline and self.app_file.stat().st_size else "") + line)
                file.flush()
                os.fsync(file.fileno())
            self._parsed = None

    def remove(self, host: str, port: int) -> int:
        """Forgets the host in the app's file (after the engineer has checked a key change); returns lines removed."""
        name = known_hosts_name(host, port)
        with self._lock:
            if not self.app_file.is_file():
                return 0
            lines = self.app_file.read_text(encoding="ascii").splitlines(keepends=True)
            kept = [line for line in lines if name not in line.split(" ", 1)[0].split(",")]
            self.app_file.write_text("".join(kept), encoding="ascii")
            self._parsed = None
            return len(lines) - len(kept)


def changed_key_error(offered: OfferedKey, stored: tuple[tuple[str, str], ...]) -> ChangedHostKey:
    stored_text = ", ".join(f"{key_type} {fingerprint}" for key_type, fingerprint in stored)
    return ChangedHostKey(
        _(
            "REFUSED: the host key of {host} has changed. It offered {key_type} {offered}, but the stored key is "
            "{stored}. This can mean that someone is intercepting the connection. Check the key with the client "
            "before removing the old one."
        ).format(host=offered.host_entry, key_type=offered.key_type, offered=offered.fingerprint, stored=stored_text)
    )


def unknown_key_error(offered: OfferedKey) -> UnknownHostKey:
    return UnknownHostKey(
        _("The host key of {host} is not known ({key_type} {fingerprint}) and was not accepted.").format(
            host=offered.host_entry, key_type=offered.key_type, fingerprint=offered.fingerprint
        )
    )


async def refuse_unknown(_offered: OfferedKey) -> HostKeyDecision:
    """The default policy: like OpenSSH's StrictHostKeyChecking=yes."""
    return HostKeyDecision.REFUSE


async def accept_new(_offered: OfferedKey) -> HostKeyDecision:
    """OpenSSH's accept-new: unknown keys are learned; changed keys are still refused (they never reach a prompt)."""
    return HostKeyDecision.ACCEPT_ALWAYS
