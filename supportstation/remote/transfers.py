"""File transfers with a host, whatever its transport: SFTP on an SSH host (`remote.sftp`), chunked PowerShell over
WinRM on a Windows host (`remote.winrm_files`). The callers (CLI, Files tab, procedures) use the three functions
here and the shapes they return; which transport carries the bytes is the target's business.

Both transports promise the same: progress, cancel, the SHA-256 of what was transferred, and no half-written file
left behind on either side.
"""

from __future__ import annotations

import ntpath
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.i18n import _
from supportstation.remote.results import RemoteError

if TYPE_CHECKING:
    from supportstation.remote.pool import ConnectionPool
    from supportstation.remote.targets import Target

Progress = Callable[[int, int], None]  # bytes done, bytes in all


class TransferError(RemoteError):
    """A transfer that failed; the message names the host, the path and the reason."""


class TransferCancelled(TransferError):
    """Stopped by the engineer; nothing half-written is left on either side."""


@dataclass(frozen=True)
class TransferResult:
    target: str
    direction: str  # "upload" or "download"
    local: Path
    remote: str
    size: int
    sha256: str
    host_key_fingerprint: str  # the SSH host key's, or the WinRM certificate's (empty over sealed HTTP)


@dataclass(frozen=True)
class RemoteEntry:
    """One name in a remote folder, as `ls -l` or `dir` would show it; a link says what it points to."""

    name: str
    path: str
    size: int
    modified: datetime | None  # UTC; None when the host did not say
    is_dir: bool
    is_link: bool
    permissions: str  # "drwxr-xr-x" on a POSIX host, the Mode column ("d--h--") on Windows
    hidden: bool = False  # a dot file, or the Hidden attribute on Windows


@dataclass(frozen=True)
class RemoteFolder:
    path: str  # absolute, as the host resolved it
    entries: tuple[RemoteEntry, ...]  # folders first, then files, each by name regardless of case
    parent: str | None = None  # None at the top (`/`, `C:\`)
    windows: bool = False

    def child(self, name: str) -> str:
        """The path of `name` in this folder, with the host's separator."""
        return (ntpath if self.windows else posixpath).join(self.path, name)


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TransferCancelled(_("The transfer was cancelled."))


async def upload(
    pool: ConnectionPool,
    target: Target,
    local: Path,
    remote: str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TransferResult:
    if target.winrm is not None:
        from supportstation.remote import winrm_files

        return await winrm_files.upload(pool, target, local, remote, progress=progress, cancel=cancel)
    from supportstation.remote import sftp

    return await sftp.upload(pool, target, local, remote, progress=progress, cancel=cancel)


async def download(
    pool: ConnectionPool,
    target: Target,
    remote: str,
    local: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TransferResult:
    if target.winrm is not None:
        from supportstation.remote import winrm_files

        return await winrm_files.download(pool, target, remote, local, progress=progress, cancel=cancel)
    from supportstation.remote import sftp

    return await sftp.download(pool, target, remote, local, progress=progress, cancel=cancel)


async def list_remote(pool: ConnectionPool, target: Target, path: str = "") -> RemoteFolder:
    """The folder's entries; an empty `path` is the login's home folder."""
    if target.winrm is not None:
        from supportstation.remote import winrm_files

        return await winrm_files.list_remote(pool, target, path)
    from supportstation.remote import sftp

    return await sftp.list_remote(pool, target, path)


# -- where a download goes -------------------------------------------------------------------------------------


def safe_local_name(name: str) -> str:
    """A remote name usable as a file name here: the host chooses it, and must not be able to write elsewhere
    (`../x`) nor give a name Windows refuses (`a:b`, `aux?`)."""
    cleaned = "".join("_" if char in '<>:"/\\|?*' or ord(char) < 32 else char for char in name)
    cleaned = cleaned.strip().rstrip(".")
    return cleaned if cleaned and cleaned not in (".", "..") else "download"


def free_local_path(folder: Path, name: str, taken: frozenset[Path]) -> Path:
    """`folder/name`, or `name (1).ext`, `name (2).ext`… when taken: a download never replaces a file."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 0
    while candidate in taken or candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
        number += 1
        candidate = folder / f"{stem} ({number}){suffix}"
    return candidate
