"""Importing hosts from ~/.ssh/config, an Ansible inventory or a CSV file: read, plan, then apply in one transaction.

    source = read_source(Path("hosts.ini"))                      # HostImportError if the file is malformed
    with database.writing() as session:
        plan = plan_import(session, source, client="Mairie")      # one entry per host: new, update, unchanged, error
        apply_plan(session, plan)                                # the new and updated hosts, in this transaction

`import_hosts` does the three. An entry is matched to an existing host by client and name (without regard to case).
An update changes only what the file says: an empty CSV cell, or an Ansible variable not set, keeps the stored
value; tags are added, never removed (a tag put by hand must survive a re-import). Entries in error are refused,
the others are written.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from supportstation.i18n import _
from supportstation.remote.host_editing import (
    HostDraft,
    HostDraftError,
    create_host,
    host_draft,
    normalized,
    update_host,
    validate,
)
from supportstation.remote.host_sources import HostImportError, ImportFormat, SourceFile, SourceHost, file_error
from supportstation.storage.models import Client, CredentialRef, Host

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from supportstation.storage.database import Database

MAX_FILE_BYTES = 50 * 1024 * 1024
# What `--format` accepts: `ansible` lets the file decide between INI and YAML, as Ansible does.
FORMAT_CHOICES = ("auto", "ssh-config", "ansible", "csv")
_SSH_KEYWORDS = frozenset(
    {"host", "match", "include", "hostname", "user", "port", "identityfile", "proxyjump", "proxycommand",
     "forwardagent", "serveraliveinterval", "stricthostkeychecking", "userknownhostsfile", "identitiesonly"}
)  # fmt: skip


class EntryStatus(enum.StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {
            EntryStatus.NEW: _("New"),
            EntryStatus.UPDATE: _("Update"),
            EntryStatus.UNCHANGED: _("Unchanged"),
            EntryStatus.ERROR: _("Refused"),
        }[self]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    def describe(self) -> str:
        return f"{field_label(self.field)}: {self.old or '—'} → {self.new or '—'}"


@dataclass
class PlanEntry:
    name: str
    line: int | None
    client: str
    site: str
    status: EntryStatus
    address: str = ""
    os_family: str = ""
    tags: tuple[str, ...] = ()
    changes: list[FieldChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    host_id: int | None = None
    draft: HostDraft | None = field(default=None, repr=False)

    @property
    def details(self) -> str:
        """Why it is refused, or what changes, then what to know: one line for a table cell or a report."""
        parts = list(self.problems) if self.status is EntryStatus.ERROR else [c.describe() for c in self.changes]
        return "; ".join(parts + self.warnings)


@dataclass
class ImportPlan:
    path: Path
    format: ImportFormat
    entries: list[PlanEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    applied: bool = False

    def count(self, status: EntryStatus) -> int:
        return sum(1 for entry in self.entries if entry.status is status)

    @property
    def refused(self) -> int:
        return self.count(EntryStatus.ERROR)

    @property
    def to_write(self) -> int:
        return self.count(EntryStatus.NEW) + self.count(EntryStatus.UPDATE)

    def summary(self) -> str:
        counts = _("{new} new, {update} to update, {unchanged} unchanged, {error} refused").format(
            new=self.count(EntryStatus.NEW), update=self.count(EntryStatus.UPDATE),
            unchanged=self.count(EntryStatus.UNCHANGED), error=self.refused,
        )  # fmt: skip
        if self.applied:
            counts = _("{new} added, {update} updated, {unchanged} unchanged, {error} refused").format(
                new=self.count(EntryStatus.NEW), update=self.count(EntryStatus.UPDATE),
                unchanged=self.count(EntryStatus.UNCHANGED), error=self.refused,
            )  # fmt: skip
        return _("{file} ({format}): {counts}.").format(file=self.path.name, format=self.format.label, counts=counts)

    def report_lines(self) -> list[str]:
        lines = [self.summary()]
        lines.extend(_("Warning: {message}").format(message=warning) for warning in self.warnings)
        for entry in self.entries:
            where = _("line {line}").format(line=entry.line) if entry.line else "—"
            text = f"{where:>10}  {entry.status.label:<10} {entry.name}"
            if entry.client:
                text += f" ({entry.client}" + (f", {entry.site}" if entry.site else "") + ")"
            if entry.details:
                text += f": {entry.details}"
            lines.append(text)
        if not self.applied:
            lines.append(_("Check only: nothing was written."))
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "format": self.format.value,
            "applied": self.applied,
            "counts": {status.value: self.count(status) for status in EntryStatus},
            "warnings": list(self.warnings),
            "entries": [
                {
                    "name": entry.name, "line": entry.line, "client": entry.client, "site": entry.site,
                    "status": entry.status.value, "address": entry.address, "host_id": entry.host_id,
                    "changes": [asdict(change) for change in entry.changes],
                    "problems": list(entry.problems), "warnings": list(entry.warnings),
                }
                for entry in self.entries
            ],
        }  # fmt: skip


def field_label(name: str) -> str:
    return {
        "name": _("name"),
        "address": _("address"),
        "port": _("port"),
        "client": _("client"),
        "site": _("site"),
        "os_family": _("system"),
        "vendor": _("vendor"),
        "transport": _("transport"),
        "tags": _("tags"),
        "credential_id": _("credential"),
        "notes": _("notes"),
        "login_user": _("login"),
        "proxy_jump": _("jump hosts"),
        "identity_files": _("key files"),
    }.get(name, name)


# -- reading ------------------------------------------------------------------------------------------------------


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


# -- planning -----------------------------------------------------------------------------------------------------


def plan_import(session: Session, source: SourceFile, *, client: str = "", site: str = "") -> ImportPlan:
    """What importing `source` would do, entry by entry; writes nothing. `client` and `site` file the entries
    that name none (a CSV column wins)."""
    plan = ImportPlan(source.path, source.format, warnings=list(source.warnings))
    credentials = {label.lower(): ref_id for ref_id, label in session.execute(select(CredentialRef.id,
                                                                                     CredentialRef.label))}  # fmt: skip
    labels = {ref_id: label for label, ref_id in credentials.items()}
    seen: dict[tuple[str, str], int | None] = {}
    for source_host in source.hosts:
        plan.entries.append(_plan_entry(session, source_host, client, site, credentials, seen, labels))
    return plan


def _plan_entry(
    session: Session,
    source_host: SourceHost,
    default_client: str,
    default_site: str,
    credentials: dict[str, int],
    seen: dict[tuple[str, str], int | None],
    credential_labels: dict[int, str],
) -> PlanEntry:
    client = " ".join((source_host.client or default_client).split())
    site = " ".join((source_host.site or default_site).split())
    entry = PlanEntry(
        source_host.name, source_host.line, client, site, EntryStatus.ERROR, address=source_host.address or "",
        os_family=source_host.os_family or "", tags=source_host.tags, problems=list(source_host.problems),
        warnings=list(source_host.warnings),
    )  # fmt: skip
    if not client:
        entry.problems.append(_("No client: choose the client to file the hosts under, or add a client column."))
    key = (client.lower(), source_host.name.strip().lower())
    if source_host.name and key in seen:
        earlier = seen[key]
        entry.problems.append(
            _("{name} is already in the file (line {line}).").format(name=source_host.name, line=earlier)
            if earlier else _("{name} is already in the file.").format(name=source_host.name)
        )  # fmt: skip
    seen.setdefault(key, source_host.line)
    credential_id = None
    if source_host.credential:
        credential_id = credentials.get(source_host.credential.lower())
        if credential_id is None:
            entry.problems.append(
                _("No credential is labelled {label}: create it first (Hosts → Add… → New credential).").format(
                    label=source_host.credential
                )
            )
    if entry.problems:
        return entry
    host_id = session.scalar(
        select(Host.id)
        .join(Client, Host.client_id == Client.id)
        .where(func.lower(Client.name) == client.lower(), func.lower(Host.name) == source_host.name.strip().lower())
    )
    base = normalized(host_draft(session, host_id)) if host_id else None
    draft = _merged(base, source_host, client, site, credential_id)
    try:
        draft = validate(session, draft, host_id=host_id)
    except HostDraftError as error:
        entry.problems.extend(problem.message for problem in error.problems)
        return entry
    entry.draft, entry.host_id = draft, host_id
    entry.address, entry.os_family, entry.tags, entry.site = draft.address, draft.os_family, draft.tags, draft.site
    if base is None:
        entry.status = EntryStatus.NEW
        return entry
    entry.changes = _changes(base, draft, credential_labels)
    entry.status = EntryStatus.UPDATE if entry.changes else EntryStatus.UNCHANGED
    return entry


def _merged(
    base: HostDraft | None, source_host: SourceHost, client: str, site: str, credential_id: int | None
) -> HostDraft:
    given: dict[str, Any] = {
        name: getattr(source_host, name)
        for name in ("address", "port", "os_family", "vendor", "transport", "login_user", "proxy_jump",
                     "identity_files", "notes")
        if getattr(source_host, name) is not None
    }  # fmt: skip
    if credential_id is not None:
        given["credential_id"] = credential_id
    if site:
        given["site"] = site
    if base is None:
        if source_host.transport == "winrm" and source_host.os_family is None:
            given["os_family"] = "windows"  # a WinRM host with no system named is a Windows one
        return replace(HostDraft(name=source_host.name, client=client, tags=source_host.tags), **given)
    known = {tag.lower() for tag in base.tags}
    added = tuple(tag for tag in source_host.tags if tag.strip().lower() not in known)
    return replace(base, tags=base.tags + added, **given)


_COMPARED = ("address", "port", "site", "os_family", "vendor", "transport", "tags", "login_user", "proxy_jump",
             "identity_files", "credential_id", "notes")  # fmt: skip


def _changes(before: HostDraft, after: HostDraft, credential_labels: dict[int, str]) -> list[FieldChange]:
    changes = []
    for name in _COMPARED:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        if name == "credential_id":  # shown by label: an id means nothing to the user
            old, new = credential_labels.get(old, old), credential_labels.get(new, new)
        changes.append(FieldChange(name, _shown(old), _shown(new)))
    return changes


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


# -- applying -----------------------------------------------------------------------------------------------------


def apply_plan(session: Session, plan: ImportPlan) -> ImportPlan:
    """Writes the new and updated entries in the caller's transaction; an entry that became invalid since it was
    planned (a colleague's change) is refused, not forced."""
    for entry in plan.entries:
        if entry.draft is None or entry.status not in (EntryStatus.NEW, EntryStatus.UPDATE):
            continue
        try:
            if entry.status is EntryStatus.NEW:
                entry.host_id = create_host(session, entry.draft)
            else:
                assert entry.host_id is not None
                update_host(session, entry.host_id, entry.draft)
        except HostDraftError as error:
            entry.status = EntryStatus.ERROR
            entry.problems.extend(problem.message for problem in error.problems)
    plan.applied = True
    return plan


def import_hosts(
    database: Database, path: Path, *, form: str = "auto", client: str = "", site: str = "", dry_run: bool = False
) -> ImportPlan:
    """Reads, plans and (unless `dry_run`) applies in one transaction. Raises HostImportError for a bad file."""
    source = read_source(path, form)
    if dry_run:
        with database.session() as session:
            return plan_import(session, source, client=client, site=site)
    with database.writing() as session:
        return apply_plan(session, plan_import(session, source, client=client, site=site))
