"""File transfer over SFTP on the host's shared SSH connection (callers go through `remote.transfers`): progress,
cancel, and no half files left behind; and listing a remote folder, so the engineer can browse instead of typing
paths.

A download goes to `NAME.partial` and is renamed when complete; an upload that is cancelled or fails removes what
it wrote on the host. The SHA-256 of what was transferred is computed on the way, for the timeline and the audit.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import hashlib
import os
import posixpath
import stat
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import paramiko

from supportstation.i18n import _
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.targets import Target
from supportstation.remote.threads import in_thread
from supportstation.remote.transfers import (
    Progress,
    RemoteEntry,
    RemoteFolder,
    TransferError,
    TransferResult,
    check_cancel,
)

BLOCK = 256 * 1024
PREFETCH_WINDOW = 4 * 1024 * 1024  # requested ahead at a time in a download: what a cancel waits for


async def upload(
    pool: ConnectionPool,
    target: Target,
    local: Path,
    remote: str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TransferResult:
    connection = await pool.ssh_connection(target)
    size, digest, remote = await in_thread(_upload, connection.open_sftp, local, remote, progress, cancel, target)
    return TransferResult(target.url, "upload", local, remote, size, digest, connection.fingerprint)


async def download(
    pool: ConnectionPool,
    target: Target,
    remote: str,
    local: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TransferResult:
    connection = await pool.ssh_connection(target)
    size, digest, remote, local = await in_thread(
        _download, connection.open_sftp, remote, local, progress, cancel, target
    )
    return TransferResult(target.url, "download", local, remote, size, digest, connection.fingerprint)


def _remote_path(remote: str) -> str:
    """`~` and `~/…` as the login folder, as scp and sftp take them: an SFTP path not starting with / is relative to
    the login folder already, and the server itself does not expand `~`."""
    if remote == "~":
        return "."
    if remote.startswith("~/"):
        return remote[2:] or "."
    return remote


def _is_remote_folder(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        return stat.S_ISDIR(sftp.stat(path).st_mode or 0)
    except OSError:
        return False


def _upload(
    open_sftp: Callable[[], paramiko.SFTPClient],
    local: Path,
    remote: str,
    progress: Progress | None,
    cancel: threading.Event | None,
    target: Target,
) -> tuple[int, str, str]:
    if local.is_dir():
        raise TransferError(_("{path} is a folder: give a file (folders are not copied).").format(path=local))
    try:
        total = local.stat().st_size
        reader = local.open("rb")
    except OSError as error:
        raise TransferError(
            _("Cannot read {path}: {reason}").format(path=local, reason=error.strerror or error)
        ) from error
    digest = hashlib.sha256()
    done = 0
    sftp = open_sftp()
    try:
        with reader:
            # Into a folder, under the file's own name, as scp does.
            remote = _remote_path(remote)
            if remote.endswith("/") or _is_remote_folder(sftp, remote):
                remote = posixpath.join(remote, local.name)
            try:
                writer = sftp.open(remote, "wb")
            except OSError as error:
                raise _remote_error(target, remote, error) from error
            try:
                with writer:
                    writer.set_pipelined(True)  # do not wait for each block's acknowledgement
                    while block := reader.read(BLOCK):
                        check_cancel(cancel)
                        writer.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
            except (TransferError, OSError, paramiko.SSHException) as error:
                _remove_quietly(sftp, remote)
                if isinstance(error, TransferError):
                    raise
                raise _remote_error(target, remote, error) from error
    finally:
        sftp.close()
    return done, digest.hexdigest(), remote


def _download(
    open_sftp: Callable[[], paramiko.SFTPClient],
    remote: str,
    local: Path,
    progress: Progress | None,
    cancel: threading.Event | None,
    target: Target,
) -> tuple[int, str, str, Path]:
    digest = hashlib.sha256()
    done = 0
    sftp = open_sftp()
    try:
        remote = _remote_path(remote)
        if _is_remote_folder(sftp, remote):
            raise TransferError(
                _("{target}: {path} is a folder: give a file (folders are not copied).").format(
                    target=target.label, path=remote
                )
            )
        if local.is_dir():  # into the folder, under the file's own name, as scp does
            local = local / posixpath.basename(remote)
        partial = local.with_name(local.name + ".partial")
        try:
            total = sftp.stat(remote).st_size or 0
            reader = sftp.open(remote, "rb")
        except OSError as error:
            raise _remote_error(target, remote, error) from error
        try:
            with reader, partial.open("wb") as writer:
                for block in _blocks(reader, total, cancel):
                    writer.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
                writer.flush()
                os.fsync(writer.fileno())
            os.replace(partial, local)
        except (TransferError, OSError, paramiko.SSHException) as error:
            partial.unlink(missing_ok=True)
            if isinstance(error, TransferError):
                raise
            raise TransferError(
                _("Download of {remote} from {target} failed: {reason}").format(
                    remote=remote, target=target.label, reason=_sftp_reason(error)
                )
            ) from error
    finally:
        sftp.close()
    return done, digest.hexdigest(), remote, local


def _blocks(reader: paramiko.SFTPFile, size: int, cancel: threading.Event | None) -> Iterator[bytes]:
    """The file's blocks. The first `size` bytes are requested ahead, a window at a time (paramiko's prefetch, its
    fast path for downloads); then plain reads take whatever the file grew by since it was measured.

    Prefetching the whole file at once would leave paramiko's prefetch thread sending requests after a cancel, on a
    file (and channel) being closed: at times the server then drops the whole connection. A cancel lets the current
    window arrive, at most `PREFETCH_WINDOW` bytes, and is then honoured with nothing in flight."""
    for start in range(0, size, PREFETCH_WINDOW):
        end = min(start + PREFETCH_WINDOW, size)
        window = reader.readv([(offset, min(BLOCK, end - offset)) for offset in range(start, end, BLOCK)])
        for block in window:
            if cancel is not None and cancel.is_set():
                collections.deque(window, maxlen=0)  # takes the window's remaining answers: none left in flight
                check_cancel(cancel)
            if not block:  # the file shrank since it was measured
                return
            yield block
    reader.seek(size)
    while block := reader.read(BLOCK):
        check_cancel(cancel)
        yield block


def _remote_error(target: Target, remote: str, error: Exception) -> TransferError:
    return TransferError(
        _("{target}: {path}: {reason}").format(target=target.label, path=remote, reason=_sftp_reason(error))
    )


def _sftp_reason(error: Exception) -> str:
    """paramiko gives the server's status in English ("No such file", "Failure"): in the engineer's words."""
    number = getattr(error, "errno", None)
    if number == errno.ENOENT:
        return _("no such file or folder")
    if number == errno.EACCES:
        return _("permission denied")
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    if text == "Failure":  # SSH_FX_FAILURE: the server gives no reason (a folder in the way, a full disk)
        return _("the server refused, without saying why (a folder in the way, or a full disk?)")
    return text


def _remove_quietly(sftp: paramiko.SFTPClient, remote: str) -> None:
    # The link may be gone; the error that stopped the upload is what the engineer needs to see.
    with contextlib.suppress(OSError, paramiko.SSHException):
        sftp.remove(remote)


# -- browsing the remote side --------------------------------------------------------------------------------------


async def list_remote(pool: ConnectionPool, target: Target, path: str = "") -> RemoteFolder:
    """The folder's entries; an empty `path` is the login's home folder, where SFTP starts."""
    connection = await pool.ssh_connection(target)
    return await in_thread(_list, connection.open_sftp, path, target)


def _list(open_sftp: Callable[[], paramiko.SFTPClient], path: str, target: Target) -> RemoteFolder:
    sftp = open_sftp()
    try:
        try:
            resolved = sftp.normalize(path or ".")
            attributes = sftp.listdir_attr(resolved)
        except (OSError, paramiko.SSHException, EOFError) as error:
            raise _remote_error(target, path or "~", error) from error
        entries = [_entry(sftp, resolved, attribute) for attribute in attributes]
    finally:
        with contextlib.suppress(OSError, paramiko.SSHException, EOFError):
            sftp.close()
    entries.sort(key=lambda entry: (not entry.is_dir, entry.name.casefold(), entry.name))
    parent = None if resolved == "/" else posixpath.dirname(resolved.rstrip("/")) or "/"
    return RemoteFolder(resolved, tuple(entries), parent)


def _entry(sftp: paramiko.SFTPClient, folder: str, attributes: paramiko.SFTPAttributes) -> RemoteEntry:
    mode = attributes.st_mode or 0
    path = posixpath.join(folder, attributes.filename)
    is_link = stat.S_ISLNK(mode)
    is_dir = stat.S_ISDIR(mode)
    if is_link:
        # OpenSSH lists links as links: only following one tells whether it can be entered. A broken link or one the
        # login may not follow is shown as a file, which a download then reports clearly.
        with contextlib.suppress(OSError):
            is_dir = stat.S_ISDIR(sftp.stat(path).st_mode or 0)
    mtime = attributes.st_mtime
    return RemoteEntry(
        name=attributes.filename,
        path=path,
        size=attributes.st_size or 0,
        modified=datetime.fromtimestamp(mtime, UTC) if mtime is not None else None,
        is_dir=is_dir,
        is_link=is_link,
        permissions=stat.filemode(mode) if mode else "",
        hidden=attributes.filename.startswith("."),
    )
