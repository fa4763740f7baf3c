"""Importing hosts from ~/.ssh/config, an Ansible inventory or a CSV file: read, plan, then apply in one transaction.

    source = read_source(Path("hosts.ini"))                      # host_import_reading; HostImportError if malformed
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
from supportstation.remote.host_import_reading import read_source
from supportstation.remote.host_sources import ImportFormat, SourceFile, SourceHost
from supportstation.storage.models import Client, CredentialRef, Host

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from supportstation.storage.database import Database


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
        entry.problems.append(
            _(
                "No client: choose the client to file the hosts under (--client on the command line), "
                "or name it in the file."
            )
        )
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
