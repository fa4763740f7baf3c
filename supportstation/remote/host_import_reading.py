"""Reading a hosts file for import: its format detected (or imposed), then the matching reader.

source = read_source(Path("~/.ssh/config"))     # a SourceFile, or HostImportError naming the file and line
"""

from __future__ import annotations

from pathlib import Path

from supportstation.i18n import _
from supportstation.remote.host_sources import HostImportError, ImportFormat, SourceFile, file_error

MAX_FILE_BYTES = 50 * 1024 * 1024
# What `--format` accepts: `ansible` lets the file decide between INI and YAML, as Ansible does.
FORMAT_CHOICES = ("auto", "ssh-config", "ansible", "csv")
_SSH_KEYWORDS = frozenset(
    {"host", "match", "include", "hostname", "user", "port", "identityfile", "proxyjump", "proxycommand",
     "forwardagent", "serveraliveinterval", "stricthostkeychecking", "userknownhostsfile", "identitiesonly"}
)  # fmt: skip


def read_source(path: Path, form: str = "auto") -> SourceFile:
    """Reads the file in the given format (`FORMAT_CHOICES` or an ImportFormat value). Raises HostImportError."""
    path = Path(path).expanduser()
    chosen = detect_format(path) if form == "auto" else None
    if form == "csv" or chosen is ImportFormat.CSV:
        from supportstation.remote.host_import_csv import read_csv

        return read_csv(path)  # csv_reading detects the encoding itself
    if form == "ssh-config" or chosen is ImportFormat.SSH_CONFIG:
        from supportstation.remote.host_import_ssh import read_ssh_config

        _check_file(path)
        return read_ssh_config(path)
    from supportstation.remote.host_import_ansible import ansible_flavour, read_ansible

    text = _read_text(path)
    if form in (ImportFormat.ANSIBLE_INI.value, ImportFormat.ANSIBLE_YAML.value):
        return read_ansible(path, text, ImportFormat(form))
    if form not in ("auto", "ansible"):
        raise HostImportError(_("Unknown format {format}: use one of {choices}.").format(
            format=form, choices=", ".join(FORMAT_CHOICES)))  # fmt: skip
    return read_ansible(path, text, chosen if chosen is not None else ansible_flavour(path, text))


def _check_file(path: Path) -> int:
    try:
        if path.is_dir():
            raise file_error(path, _("this is a folder: choose the file itself"))
        size = path.stat().st_size
    except FileNotFoundError as error:
        raise HostImportError(_("The file {path} does not exist.").format(path=path), path) from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise HostImportError(_("Cannot read {path}: {reason}").format(path=path, reason=reason), path) from error
    if size > MAX_FILE_BYTES:
        raise file_error(path, _("the file is larger than {limit} MB: this is not an inventory").format(
            limit=MAX_FILE_BYTES // 1024 // 1024))  # fmt: skip
    return size


def _read_text(path: Path) -> str:
    _check_file(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise HostImportError(_("Cannot read {path}: {reason}").format(path=path, reason=reason), path) from error
    if b"\x00" in data[:8192]:
        raise file_error(path, _("this is not a text file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise file_error(path, _("the text is not UTF-8"), line) from error


def detect_format(path: Path) -> ImportFormat:
    """By extension, else by the first meaningful line. Raises HostImportError for a file that cannot be read."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return ImportFormat.CSV
    if suffix in (".yml", ".yaml", ".json"):
        return ImportFormat.ANSIBLE_YAML
    if suffix == ".ini":
        return ImportFormat.ANSIBLE_INI
    _check_file(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError as error:
        reason = error.strerror or str(error)
        raise HostImportError(_("Cannot read {path}: {reason}").format(path=path, reason=reason), path) from error
    if b"\x00" in head:
        raise file_error(path, _("this is not a text file"))
    text = head.decode("utf-8-sig", errors="replace")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        words = line.replace("=", " ", 1).split()
        if words[0].lower() in _SSH_KEYWORDS and len(words) >= 2 and not line.startswith("["):
            return ImportFormat.SSH_CONFIG
        if line.startswith("["):
            return ImportFormat.ANSIBLE_INI
        if line == "---" or line.endswith(":") or line.startswith("{"):
            return ImportFormat.ANSIBLE_YAML
        if _looks_like_csv_header(line):
            return ImportFormat.CSV
        return ImportFormat.ANSIBLE_INI
    raise file_error(path, _("the file is empty"))


def _looks_like_csv_header(line: str) -> bool:
    from supportstation.remote.host_import_csv import column_fields

    for delimiter in (";", ",", "\t"):
        cells = tuple(cell.strip().strip('"') for cell in line.split(delimiter))
        if len(cells) >= 2 and "name" in column_fields(cells)[0].values():
            return True
    return False
