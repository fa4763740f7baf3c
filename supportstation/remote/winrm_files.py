"""File transfer with a Windows host over WinRM, and listing its folders: PowerShell at the other end, base64 lines
over the command's standard input and output (behind `remote.transfers`).

WS-Management has no file transfer. An upload sends the file as base64 lines, one WS-Man Send each, to a PowerShell
script that writes them to `NAME.part`, computes the SHA-256 as it goes, and moves the part into place only when size
and hash match what the laptop computed; a download is a script that writes a `size` line, base64 lines and a
`sha256` line, which the laptop checks against its own hash before renaming `NAME.partial`. A cancel reaches the
upload script as a `cancel` line, on which it deletes its part file; a download is stopped by Signal terminate. The
upload script reads its input with `[Console]::In.ReadLine()`, a line at a time as it arrives: PowerShell's `$input`
would hand the script nothing until the whole file had been sent, and keep all of it in memory meanwhile.

Files are limited to 50 MB: each byte crosses as base64 inside base64 inside SOAP, one HTTP round trip per chunk,
which is fine for logs, scripts and installers of drivers, not for disk images.

The scripts speak a small line protocol of their own (`ok`, `error`, `mismatch`, `cancelled`, `toolarge`, `size`,
`sha256`), so that no PowerShell output formatting or localisation stands between the host and the laptop.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportstation.i18n import _
from supportstation.remote.quoting import quote_powershell
from supportstation.remote.results import ConnectError, Stream
from supportstation.remote.targets import Target, WinrmShell
from supportstation.remote.threads import in_thread
from supportstation.remote.transfers import (
    Progress,
    RemoteEntry,
    RemoteFolder,
    TransferCancelled,
    TransferError,
    TransferResult,
    check_cancel,
)

if TYPE_CHECKING:
    from supportstation.remote.pool import ConnectionPool
    from supportstation.remote.winrm_connection import WinrmConnection, WinrmProcess

SIZE_LIMIT = 50 * 1024 * 1024
# Raw bytes per line: a multiple of 3, so every line is base64 on its own; 98,304 characters once encoded, and about
# 131 KB once the Send wraps them in base64 again: inside the 150 KB envelope (MaxEnvelopeSizekb) of WinRM 2.0, which
# older hosts still have, and well inside the 500 KB of later versions.
CHUNK = 73_728
LONGEST_LINE = 2 * CHUNK  # anything longer is not the protocol: refused instead of filling memory
READ_BLOCK = 1024 * 1024

# The first line names the script in the host's logs (and lets the WinRM simulator recognise it).
_UPLOAD = """# SupportStation: upload a file (transfer protocol 1)
$path = {path}
$size = {size}
$sha256 = '{sha256}'
$ErrorActionPreference = 'Stop'
$out = [Console]::Out
$part = $null
$file = $null
try {{
    if (-not [System.IO.Path]::IsPathRooted($path)) {{ $path = Join-Path $env:USERPROFILE $path }}
    $part = $path + '.part'
    $file = [System.IO.File]::Open($part, 'Create', 'Write', 'None')
    $hasher = [System.Security.Cryptography.SHA256]::Create()
    $written = 0
    # Read line by line as the laptop sends: `$input` would only be handed over once the whole input had arrived.
    while ($null -ne ($line = [Console]::In.ReadLine())) {{
        if ($line -eq 'cancel') {{
            $file.Dispose(); $file = $null
            Remove-Item -LiteralPath $part -Force
            $out.WriteLine('cancelled'); exit 4
        }}
        $bytes = [System.Convert]::FromBase64String($line)
        [void]$hasher.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
        $file.Write($bytes, 0, $bytes.Length)
        $written += $bytes.Length
    }}
    [void]$hasher.TransformFinalBlock((New-Object byte[] 0), 0, 0)
    $file.Dispose(); $file = $null
    $actual = [System.BitConverter]::ToString($hasher.Hash).Replace('-', '').ToLowerInvariant()
    if ($written -ne $size -or $actual -ne $sha256) {{
        Remove-Item -LiteralPath $part -Force
        $out.WriteLine("mismatch $written $actual"); exit 3
    }}
    # A $null argument would reach .NET as "" (an invalid backup path): NullString passes a real null.
    $noBackup = [System.Management.Automation.Language.NullString]::Value
    if ([System.IO.File]::Exists($path)) {{ [System.IO.File]::Replace($part, $path, $noBackup) }}
    else {{ [System.IO.File]::Move($part, $path) }}
    $out.WriteLine("ok $written $actual")
}} catch {{
    if ($file) {{ $file.Dispose() }}
    if ($part) {{ Remove-Item -LiteralPath $part -Force -ErrorAction SilentlyContinue }}
    $out.WriteLine('error ' + ($_.Exception.GetBaseException().Message -replace '\\s+', ' ')); exit 1
}}
"""

_DOWNLOAD = """# SupportStation: download a file (transfer protocol 1)
$path = {path}
$limit = {limit}
$ErrorActionPreference = 'Stop'
$out = [Console]::Out
$file = $null
try {{
    if (-not [System.IO.Path]::IsPathRooted($path)) {{ $path = Join-Path $env:USERPROFILE $path }}
    $file = [System.IO.File]::Open($path, 'Open', 'Read', 'ReadWrite')
    if ($file.Length -gt $limit) {{ $out.WriteLine("toolarge $($file.Length)"); exit 3 }}
    $out.WriteLine("size $($file.Length)")
    $hasher = [System.Security.Cryptography.SHA256]::Create()
    $buffer = New-Object byte[] {chunk}
    while (($read = $file.Read($buffer, 0, $buffer.Length)) -gt 0) {{
        [void]$hasher.TransformBlock($buffer, 0, $read, $null, 0)
        $out.WriteLine([System.Convert]::ToBase64String($buffer, 0, $read))
    }}
    [void]$hasher.TransformFinalBlock((New-Object byte[] 0), 0, 0)
    $out.WriteLine('sha256 ' + [System.BitConverter]::ToString($hasher.Hash).Replace('-', '').ToLowerInvariant())
}} catch {{
    $out.WriteLine('error ' + ($_.Exception.GetBaseException().Message -replace '\\s+', ' ')); exit 1
}} finally {{
    if ($file) {{ $file.Dispose() }}
}}
"""

_LIST = """# SupportStation: list a folder (transfer protocol 1)
$path = {path}
$ErrorActionPreference = 'Stop'
try {{
    # The invariant culture: some cultures write another calendar's year, or another time separator.
    $invariant = [Globalization.CultureInfo]::InvariantCulture
    if ($path -eq '') {{ $path = $env:USERPROFILE }}
    elseif (-not [System.IO.Path]::IsPathRooted($path)) {{ $path = Join-Path $env:USERPROFILE $path }}
    $folder = Get-Item -LiteralPath $path -Force
    if (-not $folder.PSIsContainer) {{ throw "$path is not a folder." }}
    $entries = @(Get-ChildItem -LiteralPath $folder.FullName -Force -ErrorAction SilentlyContinue | ForEach-Object {{
        @{{ name = $_.Name; path = $_.FullName; dir = $_.PSIsContainer
            size = $(if ($_.PSIsContainer) {{ 0 }} else {{ $_.Length }})
            modified = $_.LastWriteTimeUtc.ToString('yyyy-MM-ddTHH:mm:ssZ', $invariant)
            link = [bool]($_.Attributes -band [System.IO.FileAttributes]::ReparsePoint)
            hidden = [bool]($_.Attributes -band [System.IO.FileAttributes]::Hidden)
            mode = [string]$_.Mode }}
    }})
    $parent = $null
    if ($folder.Parent) {{ $parent = $folder.Parent.FullName }}
    $listing = @{{ path = $folder.FullName; parent = $parent; entries = $entries }}
    [Console]::Out.WriteLine((ConvertTo-Json -Compress -Depth 4 -InputObject $listing))
}} catch {{
    $failure = @{{ error = ($_.Exception.GetBaseException().Message -replace '\\s+', ' ') }}
    [Console]::Out.WriteLine((ConvertTo-Json -Compress -InputObject $failure))
    exit 1
}}
"""


def upload_script(remote: str, size: int, sha256: str) -> str:
    return _UPLOAD.format(path=quote_powershell(remote), size=int(size), sha256=sha256)


def download_script(remote: str) -> str:
    return _DOWNLOAD.format(path=quote_powershell(remote), limit=SIZE_LIMIT, chunk=CHUNK)


def listing_script(path: str) -> str:
    return _LIST.format(path=quote_powershell(path))


# -- the three operations ------------------------------------------------------------------------------------------


async def upload(
    pool: ConnectionPool,
    target: Target,
    local: Path,
    remote: str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TransferResult:
    connection = await _connection(pool, target)
    size, digest = await in_thread(_upload, connection, local, remote, progress, cancel)
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
    connection = await _connection(pool, target)
    size, digest = await in_thread(_download, connection, remote, local, progress, cancel)
    return TransferResult(target.url, "download", local, remote, size, digest, connection.fingerprint)


async def list_remote(pool: ConnectionPool, target: Target, path: str = "") -> RemoteFolder:
    connection = await _connection(pool, target)
    return await in_thread(_list, connection, path)


async def _connection(pool: ConnectionPool, target: Target) -> WinrmConnection:
    from supportstation.remote.winrm_connection import WinrmConnection

    connection = await pool.connection(target)
    assert isinstance(connection, WinrmConnection), "a WinRM target gets a WinRM connection"
    return connection


# -- upload ----------------------------------------------------------------------------------------------------


def _upload(
    connection: WinrmConnection,
    local: Path,
    remote: str,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> tuple[int, str]:
    label = connection.target.label
    size, expected = _measure(local, cancel)
    if size > SIZE_LIMIT:
        raise _too_large(local.name, size)
    process = _start(connection, upload_script(remote, size, expected))
    try:
        sent = _send_file(process, local, size, progress, cancel)
        # Read to the end even after a cancel: the script deletes its part file on the `cancel` line, and closing
        # the shell first would kill it before it could.
        answer = _answer(process)
    finally:
        process.close()
    lines = answer.lines
    last = lines[-1] if lines else ""
    word, _space, rest = last.partition(" ")
    if word == "cancelled" or (cancel is not None and cancel.is_set() and word != "ok"):
        raise TransferCancelled(_("The transfer was cancelled."))
    if word == "error":
        raise TransferError(_("{target}: {path}: {reason}").format(target=label, path=remote, reason=rest))
    if word == "mismatch":
        # The file changed while it was read, or bytes were lost on the way: the host kept nothing.
        raise TransferError(
            _(
                "{target}: {path}: what arrived ({received}) is not what was sent (SHA-256 {sent}); the host kept "
                "nothing. Was {local} being written to?"
            ).format(target=label, path=remote, received=rest, sent=expected[:16] + "…", local=local.name)
        )
    received = rest.split()
    if word != "ok" or len(received) != 2 or received != [str(size), sent]:
        raise _unexpected(label, remote, lines, process.exit_code, answer.errors)
    return size, sent


def _measure(local: Path, cancel: threading.Event | None) -> tuple[int, str]:
    """The size and SHA-256 the host is told to expect: it keeps the file only if both match."""
    digest = hashlib.sha256()
    try:
        with local.open("rb") as reader:
            while block := reader.read(READ_BLOCK):
                check_cancel(cancel)
                digest.update(block)
            return reader.tell(), digest.hexdigest()
    except OSError as error:
        raise TransferError(
            _("Cannot read {path}: {reason}").format(path=local, reason=error.strerror or error)
        ) from error


def _send_file(
    process: WinrmProcess, local: Path, size: int, progress: Progress | None, cancel: threading.Event | None
) -> str:
    """Sends the file as base64 lines and ends the input; returns the SHA-256 of what was sent. A cancel sends the
    `cancel` line instead of the rest, and the script deletes its part file."""
    digest = hashlib.sha256()
    done = 0
    try:
        with local.open("rb") as reader:
            while block := reader.read(CHUNK):
                if cancel is not None and cancel.is_set():
                    process.send_input(b"cancel\r\n", end=True)
                    return digest.hexdigest()
                process.send_input(base64.b64encode(block) + b"\r\n")
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, size)
    except OSError as error:
        with contextlib.suppress(ConnectionError, ConnectError, TransferError):
            process.send_input(b"cancel\r\n", end=True)
            _answer(process)  # the script deletes its part file; wait for it to have done so
        raise TransferError(
            _("Cannot read {path}: {reason}").format(path=local, reason=error.strerror or error)
        ) from error
    except ConnectionError as error:
        raise ConnectError(str(error)) from None
    try:
        process.send_input(b"", end=True)
    except ConnectionError as error:
        raise ConnectError(str(error)) from None
    return digest.hexdigest()


# -- download ----------------------------------------------------------------------------------------------------


def _download(
    connection: WinrmConnection,
    remote: str,
    local: Path,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> tuple[int, str]:
    label = connection.target.label
    partial = local.with_name(local.name + ".partial")
    digest = hashlib.sha256()
    size: int | None = None
    done = 0
    announced = ""
    errors: list[str] = []
    process = _start(connection, download_script(remote))
    try:
        with partial.open("wb") as writer:
            for line in _stdout_lines(process, label, remote, cancel, errors):
                word, _space, rest = line.partition(" ")
                if size is None:
                    if word == "size" and rest.isdigit():
                        size = int(rest)
                        continue
                    if word == "toolarge" and rest.isdigit():
                        raise _too_large(remote, int(rest))
                    if word == "error":
                        raise TransferError(
                            _("{target}: {path}: {reason}").format(target=label, path=remote, reason=rest)
                        )
                    raise _unexpected(label, remote, [line], process.exit_code, "".join(errors))
                if word == "sha256":
                    announced = rest.strip()
                    continue
                if word == "error":
                    raise TransferError(_("{target}: {path}: {reason}").format(target=label, path=remote, reason=rest))
                try:
                    block = base64.b64decode(line, validate=True)
                except binascii.Error:
                    raise _unexpected(label, remote, [line[:80]], process.exit_code) from None
                writer.write(block)
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, size)
            writer.flush()
            os.fsync(writer.fileno())
        if size is None or process.exit_code != 0:
            raise _unexpected(label, remote, [], process.exit_code, "".join(errors))
        if done != size or announced != digest.hexdigest():
            raise TransferError(
                _(
                    "{target}: {path}: the bytes received ({received} of {size}) do not match the host's SHA-256; "
                    "nothing was kept. Was the file being written to?"
                ).format(target=label, path=remote, received=done, size=size)
            )
        os.replace(partial, local)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise TransferError(
            _("Cannot write {path}: {reason}").format(path=local, reason=error.strerror or error)
        ) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        process.close()
    return done, digest.hexdigest()


def _stdout_lines(
    process: WinrmProcess, label: str, remote: str, cancel: threading.Event | None, errors: list[str]
) -> Iterator[str]:
    """The script's standard output, line by line, as Receives bring it; a cancel terminates the script. Standard
    error's text is appended to `errors`."""
    pending = b""
    while True:
        if cancel is not None and cancel.is_set():
            process.terminate()
            raise TransferCancelled(_("The transfer was cancelled."))
        try:
            pieces = process.read(0)
        except ConnectionError as error:
            raise ConnectError(str(error)) from None
        if pieces is None:
            break
        for stream, data in pieces:
            if stream is Stream.STDOUT:
                pending += data
            else:
                errors.append(data.decode("utf-8", "replace"))
        *complete, pending = pending.split(b"\n")
        if len(pending) > LONGEST_LINE:
            raise _unexpected(label, remote, [pending[:80].decode("ascii", "replace")], None)
        for line in complete:
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if pending.strip():
        yield pending.rstrip(b"\r").decode("utf-8", "replace")


# -- listing -----------------------------------------------------------------------------------------------------


def _list(connection: WinrmConnection, path: str) -> RemoteFolder:
    label = connection.target.label
    process = _start(connection, listing_script(path))
    try:
        output = _answer(process)
    finally:
        process.close()
    lines = output.lines
    try:
        answer = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise _unexpected(label, path or "~", lines, process.exit_code, output.errors)
    if "error" in answer:
        raise TransferError(
            _("{target}: {path}: {reason}").format(target=label, path=path or "~", reason=answer["error"])
        )
    return parse_listing(answer)


def parse_listing(answer: dict[str, Any]) -> RemoteFolder:
    """The listing script's JSON as a folder. ConvertTo-Json gives a single object where one entry was expected
    in an array, and null for none, on some PowerShell versions: both are taken."""
    raw = answer.get("entries") or []
    if isinstance(raw, dict):
        raw = [raw]
    entries = [_entry(item) for item in raw if isinstance(item, dict) and item.get("name")]
    entries.sort(key=lambda entry: (not entry.is_dir, entry.name.casefold(), entry.name))
    parent = answer.get("parent") or None
    return RemoteFolder(str(answer.get("path", "")), tuple(entries), parent, windows=True)


def _entry(item: dict[str, Any]) -> RemoteEntry:
    name = str(item["name"])
    modified = None
    with contextlib.suppress(ValueError, TypeError):
        modified = datetime.strptime(str(item.get("modified", "")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    try:
        size = int(item.get("size") or 0)
    except (TypeError, ValueError):
        size = 0
    return RemoteEntry(
        name=name,
        path=str(item.get("path") or name),
        size=size,
        modified=modified,
        is_dir=bool(item.get("dir")),
        is_link=bool(item.get("link")),
        permissions=str(item.get("mode") or ""),
        hidden=bool(item.get("hidden")),
    )


# -- running the scripts -------------------------------------------------------------------------------------------


def _start(connection: WinrmConnection, script: str) -> WinrmProcess:
    return connection.start(script, shell=WinrmShell.POWERSHELL)


@dataclass
class ScriptAnswer:
    lines: list[str]  # standard output, line by line
    errors: str = ""  # the end of standard error: PowerShell's own errors, decoded from CLIXML


def _answer(process: WinrmProcess, cancel: threading.Event | None = None) -> ScriptAnswer:
    """Everything the script wrote, read until it ends (its answers are a line or two)."""
    data = b""
    errors = b""
    while True:
        if cancel is not None and cancel.is_set():
            process.terminate()
            raise TransferCancelled(_("The transfer was cancelled."))
        try:
            pieces = process.read(0)
        except ConnectionError as error:
            raise ConnectError(str(error)) from None
        if pieces is None:
            break
        data += b"".join(chunk for stream, chunk in pieces if stream is Stream.STDOUT)
        errors = (errors + b"".join(chunk for stream, chunk in pieces if stream is Stream.STDERR))[-4096:]
        if len(data) > 64 * 1024 * 1024:
            break  # a listing of a huge folder is still far below this; anything above is not the protocol
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return ScriptAnswer(lines, errors.decode("utf-8", "replace").strip())


def _too_large(name: str, size: int) -> TransferError:
    return TransferError(
        _(
            "{name} is {size} MB: files over WinRM are limited to {limit} MB, as each byte crosses as base64 inside "
            "SOAP. Copy bigger files through a share (SMB) or over SSH."
        ).format(name=name, size=f"{size / 1e6:.1f}", limit=SIZE_LIMIT // (1024 * 1024))
    )


def _unexpected(label: str, path: str, lines: list[str], exit_code: int | None, errors: str = "") -> TransferError:
    said = " / ".join([*lines, *errors.splitlines()[-3:]])[:300] or _("nothing")
    return TransferError(
        _("{target}: {path}: the host did not answer as the transfer script does (exit {code}; said: {said}).").format(
            target=label, path=path, code=exit_code if exit_code is not None else "?", said=said
        )
    )
