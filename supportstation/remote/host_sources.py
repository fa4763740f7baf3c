"""What a host import reads from a file, before it meets the database: the shapes every reader returns.

Readers (`host_import_ssh`, `host_import_ansible`, `host_import_csv`) turn a file into a `SourceFile`: one
`SourceHost` per host, each field None where the file does not say (so that an update keeps what the inventory
already knows), problems that refuse one entry, warnings that do not. A file that cannot be read as a whole raises
`HostImportError`, whose message names the file and, where known, the line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from supportstation.i18n import _


class ImportFormat(enum.StrEnum):
    SSH_CONFIG = "ssh-config"
    ANSIBLE_INI = "ansible-ini"
    ANSIBLE_YAML = "ansible-yaml"
    CSV = "csv"

    @property
    def label(self) -> str:
        return {
            ImportFormat.SSH_CONFIG: _("OpenSSH configuration"),
            ImportFormat.ANSIBLE_INI: _("Ansible inventory (INI)"),
            ImportFormat.ANSIBLE_YAML: _("Ansible inventory (YAML)"),
            ImportFormat.CSV: _("CSV"),
        }[self]


class HostImportError(Exception):
    """The file cannot be imported at all; nothing is written. The message is for the user."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


def file_error(path: Path, problem: str, line: int | None = None) -> HostImportError:
    """'hosts.ini, line 12: …' — the same shape as ssh_config's errors."""
    if line is None:
        return HostImportError(_("{file}: {problem}").format(file=path.name, problem=problem), path)
    message = _("{file}, line {line}: {problem}").format(file=path.name, line=line, problem=problem)
    return HostImportError(message, path, line)


@dataclass
class SourceHost:
    """One host as the file describes it. None: the file does not say (a new host gets the default, an existing
    one keeps its value)."""

    name: str
    line: int | None = None
    address: str | None = None
    port: int | None = None
    client: str | None = None
    site: str | None = None
    os_family: str | None = None
    vendor: str | None = None
    transport: str | None = None
    tags: tuple[str, ...] = ()
    login_user: str | None = None
    proxy_jump: str | None = None
    identity_files: tuple[str, ...] | None = None
    notes: str | None = None
    credential: str | None = None  # a credential's label (CSV)
    problems: list[str] = field(default_factory=list)  # the entry is refused
    warnings: list[str] = field(default_factory=list)  # imported, with something the user should know


@dataclass
class SourceFile:
    path: Path
    format: ImportFormat
    hosts: list[SourceHost] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the file as a whole (an ignored column…)
