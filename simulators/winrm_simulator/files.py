"""The simulator's stand-in for SupportStation's file-transfer PowerShell scripts, on a folder that plays the host's
drives.

No PowerShell runs here, so the three scripts of `supportstation.remote.winrm_files` (upload, download, list a
folder) are recognised by their first comment line and carried out in Python, following the line protocol those
scripts speak: the upload reads base64 lines from the input the client Sends, writes `NAME.part`, and keeps it only if
size and SHA-256 match; the download writes `size`, base64 lines of 73,728 bytes and `sha256`; the listing answers
JSON shaped as ConvertTo-Json writes it. Error texts are the .NET messages a Windows host gives.

This checks the client's side of the protocol (chunking, Sends, progress, hashes, cancel, errors), not the
PowerShell itself: that runs only on a real Windows host.

`C:\\Users\\alice\\x.txt` is `ROOT/C/Users/alice/x.txt`. Names are case-sensitive here, unlike on Windows; a name
starting with a dot plays a file with the Hidden attribute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import ntpath
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .shells import ScriptInput, ScriptKilled, ScriptRun

Write = Callable[[str, bytes], None]

_MARKER = re.compile(r"^# SupportStation: (upload a file|download a file|list a folder) \(transfer protocol 1\)$", re.M)
_ASSIGNMENT = re.compile(r"^\$(\w+) = (.*)$", re.M)
_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")
_BASE64_ERROR = (
    "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding "
    "characters, or an illegal character among the padding characters."
)


class HostPathError(Exception):
    """A path the simulated host cannot reach; the message is the one .NET would give."""


class FileService:
    """Answers the transfer scripts for every user of the simulator, on `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunk_delay = 0.0  # seconds slept per chunk, so a test can cancel mid-way
        self.corrupt_uploads = 0  # flip a byte in the next N uploads, as a damaged transfer would
        self.uploads_seen = 0

    def handler(self, script: str, user: str) -> ScriptRun | None:
        """The Python run standing in for `script`, or None when it is not one of the transfer scripts."""
        marker = _MARKER.search(script)
        if marker is None:
            return None
        values = _assignments(script)
        kind = marker.group(1)
        home = f"C:\\Users\\{user}"
        if kind == "upload a file":
            return lambda stdin, write: self._upload(values, home, stdin, write)
        if kind == "download a file":
            return lambda stdin, write: self._download(values, home, stdin, write)
        return lambda stdin, write: self._list(values, home, write)

    # -- paths -----------------------------------------------------------------------------------------------------

    def windows_path(self, path: str, home: str) -> str:
        if not path:
            return home
        if not (len(path) >= 3 and path[1] == ":" and path[2] in "\\/"):
            if path.startswith("\\\\"):
                raise HostPathError("The network path was not found.")
            path = ntpath.join(home, path)
        return ntpath.normpath(path)

    def local_path(self, windows: str) -> Path:
        drive, rest = ntpath.splitdrive(windows)
        parts = [part for part in rest.replace("/", "\\").split("\\") if part]
        if ".." in parts:
            raise HostPathError(f"Access to the path '{windows}' is denied.")
        return self.root.joinpath(drive.rstrip(":").upper(), *parts)

    def home_folder(self, user: str) -> Path:
        home = self.local_path(f"C:\\Users\\{user}")
        home.mkdir(parents=True, exist_ok=True)
        return home

    # -- the scripts ---------------------------------------------------------------------------------------------------

    def _upload(self, values: dict[str, str], home: str, stdin: ScriptInput, write: Write) -> int:
        self.uploads_seen += 1
        self.home_folder(home.rsplit("\\", 1)[-1])
        try:
            target = self.windows_path(values["path"], home)
            final = self.local_path(target)
            part = final.with_name(final.name + ".part")
            if not part.parent.is_dir():
                raise HostPathError(f"Could not find a part of the path '{target}.part'.")
        except HostPathError as error:
            return _say(write, f"error {error}", 1)
        hasher = hashlib.sha256()
        written = 0
        corrupt = self.corrupt_uploads > 0
        if corrupt:
            self.corrupt_uploads -= 1
        try:
            with part.open("wb") as file:
                for line in stdin.lines():
                    if line == b"cancel":
                        file.close()
                        part.unlink(missing_ok=True)
                        return _say(write, "cancelled", 4)
                    block = base64.b64decode(line, validate=True)
                    if corrupt and block:
                        block, corrupt = bytes([block[0] ^ 0xFF]) + block[1:], False
                    hasher.update(block)
                    file.write(block)
                    written += len(block)
                    if self.chunk_delay:
                        time.sleep(self.chunk_delay)
        except binascii.Error:
            part.unlink(missing_ok=True)
            return _say(write, f"error {_BASE64_ERROR}", 1)
        except OSError as error:
            part.unlink(missing_ok=True)
            return _say(write, f"error {error.strerror}", 1)
        except ScriptKilled:
            raise  # Signal terminate: PowerShell dies with its part file open, and the file stays, as on Windows
        actual = hasher.hexdigest()
        if str(written) != values.get("size") or actual != values.get("sha256"):
            part.unlink(missing_ok=True)
            return _say(write, f"mismatch {written} {actual}", 3)
        os.replace(part, final)
        return _say(write, f"ok {written} {actual}", 0)

    def _download(self, values: dict[str, str], home: str, stdin: ScriptInput, write: Write) -> int:
        try:
            source = self.windows_path(values["path"], home)
            path = self.local_path(source)
            if path.is_dir():
                raise HostPathError(f"Access to the path '{source}' is denied.")
            if not path.parent.is_dir():
                raise HostPathError(f"Could not find a part of the path '{source}'.")
            if not path.is_file():
                raise HostPathError(f"Could not find file '{source}'.")
            file = path.open("rb")
        except HostPathError as error:
            return _say(write, f"error {error}", 1)
        except OSError as error:
            return _say(write, f"error {error.strerror}", 1)
        with file:
            size = os.fstat(file.fileno()).st_size
            if size > int(values.get("limit", "0")):
                return _say(write, f"toolarge {size}", 3)
            write("stdout", f"size {size}\r\n".encode())
            hasher = hashlib.sha256()
            while block := file.read(73_728):
                stdin.check()
                hasher.update(block)
                write("stdout", base64.b64encode(block) + b"\r\n")
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
        return _say(write, f"sha256 {hasher.hexdigest()}", 0)

    def _list(self, values: dict[str, str], home: str, write: Write) -> int:
        self.home_folder(home.rsplit("\\", 1)[-1])
        try:
            folder = self.windows_path(values.get("path", ""), home)
            path = self.local_path(folder)
            if not path.exists():
                raise HostPathError(f"Cannot find path '{folder}' because it does not exist.")
            if not path.is_dir():
                raise HostPathError(f"{folder} is not a folder.")
        except HostPathError as error:
            return _say(write, json.dumps({"error": str(error)}), 1)
        drive, rest = ntpath.splitdrive(folder)
        shown = drive + "\\" if rest in ("", "\\") else folder.rstrip("\\")
        parent = None if rest in ("", "\\") else (ntpath.dirname(shown) or drive + "\\")
        if parent is not None and ntpath.splitdrive(parent)[1] == "":
            parent = drive + "\\"
        entries = [_entry(child, ntpath.join(shown, child.name)) for child in sorted(path.iterdir())]
        listing = {"path": shown, "parent": parent, "entries": entries}
        return _say(write, json.dumps(listing, separators=(",", ":")), 0)


def _entry(child: Path, windows: str) -> dict[str, object]:
    is_link = child.is_symlink()
    is_dir = child.is_dir()
    hidden = child.name.startswith(".")
    stat = child.stat() if child.exists() else child.lstat()
    modified = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mode = (
        ("d" if is_dir else "-")
        + ("-" if is_dir else "a")
        + "-"
        + ("h" if hidden else "-")
        + "-"
        + ("l" if is_link else "-")
    )
    return {
        "name": child.name,
        "path": windows,
        "dir": is_dir,
        "size": 0 if is_dir else stat.st_size,
        "modified": modified,
        "link": is_link,
        "hidden": hidden,
        "mode": mode,
    }


def _say(write: Write, line: str, code: int) -> int:
    write("stdout", line.encode("utf-8") + b"\r\n")
    return code


def _assignments(script: str) -> dict[str, str]:
    """The `$name = value` lines at the top of a script: quoted strings unquoted, numbers as written."""
    values: dict[str, str] = {}
    for match in _ASSIGNMENT.finditer(script):
        name, raw = match.group(1), match.group(2).strip()
        if name in values:
            continue
        if len(raw) >= 2 and raw[0] in _QUOTES and raw[-1] in _QUOTES:
            text = raw[1:-1]
            for quote in _QUOTES:
                text = text.replace(quote * 2, quote)
            values[name] = text
        elif re.fullmatch(r"\d+", raw):
            values[name] = raw
    return values
