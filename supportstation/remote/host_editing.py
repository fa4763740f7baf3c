"""Adding, changing and removing inventory hosts: a `HostDraft` checked field by field, then written.

    with database.session() as session:
        host_id = create_host(session, HostDraft(name="srv-01", address="10.0.0.1", client="Mairie"))

Every problem is collected before anything is written, each naming its field, so a form can mark them all at once
and an import can report them per entry. A client or site named for the first time is created.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from supportstation.i18n import _
from supportstation.remote.host_fields import address_problem, parse_os_family, parse_transport
from supportstation.remote.inventory import OS_FAMILIES, host_transport_name
from supportstation.remote.targets import DEFAULT_SSH_PORT, TargetError, parse_jump_chain
from supportstation.storage.enums import HostTransport
from supportstation.storage.models import Client, CredentialRef, Host, Site, ticket_host

MAX_NAME = 200
MAX_VENDOR = 64
MAX_TAG = 64
MAX_TAGS = 50
MAX_USER = 200
MAX_JUMP = 500
MAX_IDENTITY_FILE = 500
_DEVICE_TRANSPORT = re.compile(r"[a-z][a-z0-9-]{0,63}")  # as plugin_api.Transport names are


@dataclass(frozen=True)
class FieldProblem:
    field: str  # a HostDraft field name
    message: str


class HostDraftError(ValueError):
    """The draft cannot be saved; `problems` says why, field by field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("\n".join(problem.message for problem in problems))
        self.problems = list(problems)


class HostNotFound(LookupError):
    """The host was removed (by a colleague, or in another window) since it was shown."""


@dataclass(frozen=True)
class HostDraft:
    name: str
    address: str = ""  # empty: the name is the address, as in ssh_config and Ansible
    client: str = ""
    site: str = ""
    port: int | None = None  # None: the transport's default
    os_family: str = "linux"
    vendor: str = ""
    # ssh, winrm, other, or the name of a plugin's transport ("cisco-ios") for a switch or a BMC.
    transport: str = HostTransport.SSH.value
    tags: tuple[str, ...] = ()
    credential_id: int | None = None
    notes: str = ""
    login_user: str = ""
    proxy_jump: str = ""
    identity_files: tuple[str, ...] = field(default=())
    device_options: tuple[tuple[str, str], ...] = ()  # the plugin transport's options for this host


def is_device_transport(name: str) -> bool:
    """Whether a draft's transport names a plugin's transport (lowercase words and '-', like 'cisco-ios') rather
    than a built-in one. The plugin need not be loaded: an inventory may name gear whose plugin is disabled."""
    return name not in {transport.value for transport in HostTransport} and bool(_DEVICE_TRANSPORT.fullmatch(name))


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


# -- checking a draft ---------------------------------------------------------------------------------------------


def normalized(draft: HostDraft) -> HostDraft:
    """Whitespace trimmed, families and transports in their stored spelling, tags without duplicates."""
    name = draft.name.strip()
    address = draft.address.strip() or name
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    tags: dict[str, str] = {}
    for tag in draft.tags:
        cleaned = tag.strip()
        if cleaned:
            tags.setdefault(cleaned.lower(), cleaned)
    os_family = parse_os_family(draft.os_family) or draft.os_family.strip().lower()
    transport = parse_transport(draft.transport) or draft.transport.strip().lower()
    # No port means the transport's default: an explicit 22 is the same host, and a re-import must see it so.
    port = None if transport == HostTransport.SSH.value and draft.port == DEFAULT_SSH_PORT else draft.port
    return replace(
        draft,
        port=port,
        name=name,
        address=address,
        client=" ".join(draft.client.split()),
        site=" ".join(draft.site.split()),
        os_family=os_family,
        vendor=draft.vendor.strip(),
        transport=transport,
        tags=tuple(tags.values()),
        notes=draft.notes.strip(),
        login_user=draft.login_user.strip(),
        proxy_jump=draft.proxy_jump.strip(),
        identity_files=tuple(path.strip() for path in draft.identity_files if path.strip()),
    )


def draft_problems(draft: HostDraft) -> list[FieldProblem]:
    """What is wrong with a normalized draft, without looking at the database."""
    problems: list[FieldProblem] = []

    def problem(name: str, message: str) -> None:
        problems.append(FieldProblem(name, message))

    if not draft.name:
        problem("name", _("The name is required."))
    elif len(draft.name) > MAX_NAME or _has_control_characters(draft.name):
        problem("name", _("The name must be at most {limit} characters, without line breaks.").format(limit=MAX_NAME))
    if draft.address:
        reason = address_problem(draft.address)
        if reason:
            problem("address", reason)
    if draft.port is not None and not 1 <= draft.port <= 65535:
        problem("port", _("The port must be between 1 and 65535, not {port}.").format(port=draft.port))
    if not draft.client:
        problem("client", _("The client is required."))
    elif len(draft.client) > MAX_NAME:
        problem("client", _("The client's name must be at most {limit} characters.").format(limit=MAX_NAME))
    if len(draft.site) > MAX_NAME:
        problem("site", _("The site's name must be at most {limit} characters.").format(limit=MAX_NAME))
    if draft.os_family not in OS_FAMILIES:
        problem(
            "os_family",
            _("Unknown system '{value}': use one of {choices}.").format(
                value=draft.os_family, choices=", ".join(OS_FAMILIES)
            ),
        )
    if len(draft.vendor) > MAX_VENDOR:
        problem("vendor", _("The vendor must be at most {limit} characters.").format(limit=MAX_VENDOR))
    if draft.transport == HostTransport.DEVICE.value or not (
        draft.transport in {transport.value for transport in HostTransport} or is_device_transport(draft.transport)
    ):
        problem(
            "transport",
            _("Unknown transport '{value}': use ssh, winrm or the name of a plugin's transport.").format(
                value=draft.transport
            ),
        )
    problems.extend(_tag_problems(draft.tags))
    # DOMAIN\user, user@domain (WinRM, sssd) and even spaces are real Windows and AD account names.
    if len(draft.login_user) > MAX_USER or _has_control_characters(draft.login_user):
        problem("login_user", _("'{user}' is not a user name.").format(user=draft.login_user[:80]))
    if draft.proxy_jump:
        problems.extend(_jump_problems(draft.proxy_jump))
    for path in draft.identity_files:
        if len(path) > MAX_IDENTITY_FILE or _has_control_characters(path):
            problem("identity_files", _("The key file path {path} is not usable.").format(path=path[:80]))
    return problems


def _tag_problems(tags: Iterable[str]) -> list[FieldProblem]:
    tags = list(tags)
    problems = []
    if len(tags) > MAX_TAGS:
        problems.append(FieldProblem("tags", _("At most {limit} tags.").format(limit=MAX_TAGS)))
    for tag in tags:
        if len(tag) > MAX_TAG or _has_control_characters(tag) or "," in tag:
            problems.append(
                FieldProblem(
                    "tags", _("The tag '{tag}' must be at most {limit} characters, without commas.").format(
                        tag=tag[:80], limit=MAX_TAG
                    )
                )
            )  # fmt: skip
    return problems


def _jump_problems(proxy_jump: str) -> list[FieldProblem]:
    if len(proxy_jump) > MAX_JUMP:
        message = _("The jump hosts must be at most {limit} characters.").format(limit=MAX_JUMP)
        return [FieldProblem("proxy_jump", message)]
    try:
        parse_jump_chain(proxy_jump)
    except TargetError as error:
        return [FieldProblem("proxy_jump", _("Jump hosts: {reason}").format(reason=error))]
    return []


def validate(session: Session, draft: HostDraft, *, host_id: int | None = None) -> HostDraft:
    """The normalized draft, or HostDraftError with every problem, the database's included (a name taken in the
    client, an unknown credential). `host_id` is the host being edited, which may keep its own name."""
    draft = normalized(draft)
    problems = draft_problems(draft)
    if draft.name and draft.client:
        taken = _same_name(session, draft.client, draft.name)
        if taken is not None and taken != host_id:
            problems.append(
                FieldProblem(
                    "name", _("The client {client} already has a host named {name}.").format(
                        client=draft.client, name=draft.name
                    )
                )
            )  # fmt: skip
    if draft.credential_id is not None and session.get(CredentialRef, draft.credential_id) is None:
        problems.append(FieldProblem("credential_id", _("The chosen credential no longer exists.")))
    if problems:
        raise HostDraftError(problems)
    return draft


def _same_name(session: Session, client: str, name: str) -> int | None:
    # Without regard to case: `supportstation run NAME` finds hosts that way, so two spellings would be ambiguous.
    return session.scalar(
        select(Host.id)
        .join(Client, Host.client_id == Client.id)
        .where(func.lower(Client.name) == client.lower(), func.lower(Host.name) == name.lower())
    )


# -- writing ------------------------------------------------------------------------------------------------------


def create_host(session: Session, draft: HostDraft) -> int:
    """Adds the host (and its client and site when new); returns its id. Raises HostDraftError."""
    draft = validate(session, draft)
    host = Host()
    _fill(session, host, draft)
    session.add(host)
    session.flush()
    return host.id


def update_host(session: Session, host_id: int, draft: HostDraft) -> None:
    """Replaces every field of the host with the draft's. Raises HostNotFound, HostDraftError."""
    host = session.get(Host, host_id)
    if host is None:
        raise HostNotFound(_("This host no longer exists: it was removed since the list was shown."))
    draft = validate(session, draft, host_id=host_id)
    _fill(session, host, draft)
    session.flush()


def _fill(session: Session, host: Host, draft: HostDraft) -> None:
    client = client_named(session, draft.client)
    host.client = client
    host.site = site_named(session, client, draft.site) if draft.site else None
    host.name = draft.name
    host.address = draft.address
    host.port = draft.port
    host.os_family = draft.os_family
    host.vendor = draft.vendor
    if is_device_transport(draft.transport):
        host.transport, host.device_transport = HostTransport.DEVICE, draft.transport
    else:
        host.transport, host.device_transport = HostTransport(draft.transport), ""
    host.device_options = dict(draft.device_options)
    host.tags = list(draft.tags)
    host.credential_ref_id = draft.credential_id
    host.notes = draft.notes
    host.login_user = draft.login_user
    host.proxy_jump = draft.proxy_jump
    host.identity_files = list(draft.identity_files)


def client_named(session: Session, name: str) -> Client:
    """The client of that name (without regard to case), created when there is none."""
    found = session.scalar(select(Client).where(func.lower(Client.name) == name.lower()))
    if found is None:
        # Pending objects are not seen by the query above until flushed: an import may name a new client twice.
        found = next((obj for obj in session.new if isinstance(obj, Client) and obj.name.lower() == name.lower()), None)
    if found is None:
        found = Client(name=name)
        session.add(found)
    return found


def site_named(session: Session, client: Client, name: str) -> Site:
    for site in client.sites:
        if site.name.lower() == name.lower():
            return site
    site = Site(name=name)
    client.sites.append(site)
    return site


def delete_hosts(session: Session, host_ids: Sequence[int]) -> int:
    """Removes the hosts; tickets and recorded runs keep their history (the links go, the runs keep the target's
    text). Returns how many were removed (hosts already gone are not counted)."""
    if not host_ids:
        return 0
    ids = list(host_ids)
    existing = session.scalar(select(func.count()).select_from(Host).where(Host.id.in_(ids))) or 0
    session.execute(delete(ticket_host).where(ticket_host.c.host_id.in_(ids)))
    session.execute(delete(Host).where(Host.id.in_(ids)))
    session.expire_all()
    return existing


def linked_ticket_count(session: Session, host_ids: Sequence[int]) -> int:
    """How many tickets name at least one of these hosts: said before removing them."""
    if not host_ids:
        return 0
    query = select(func.count(func.distinct(ticket_host.c.ticket_id))).where(ticket_host.c.host_id.in_(list(host_ids)))
    return session.scalar(query) or 0


def host_draft(session: Session, host_id: int) -> HostDraft:
    """The host as a draft, for the edit form. Raises HostNotFound."""
    host = session.get(Host, host_id)
    if host is None:
        raise HostNotFound(_("This host no longer exists: it was removed since the list was shown."))
    return HostDraft(
        name=host.name,
        address=host.address,
        client=host.client.name,
        site=host.site.name if host.site else "",
        port=host.port,
        os_family=host.os_family,
        vendor=host.vendor,
        transport=host_transport_name(host),
        tags=tuple(host.tags or ()),
        credential_id=host.credential_ref_id,
        notes=host.notes,
        login_user=host.login_user,
        proxy_jump=host.proxy_jump,
        identity_files=tuple(host.identity_files or ()),
        device_options=tuple(sorted((host.device_options or {}).items())),
    )


@dataclass(frozen=True)
class HostFormChoices:
    """What the host form offers in its lists: the clients and their sites, the vendors and tags already used."""

    sites_by_client: dict[str, tuple[str, ...]]
    vendors: tuple[str, ...]
    tags: tuple[str, ...]


def form_choices(session: Session) -> HostFormChoices:
    sites: dict[str, list[str]] = {}
    for client_name, site_name in session.execute(
        select(Client.name, Site.name).outerjoin(Site, Site.client_id == Client.id).order_by(Client.name, Site.name)
    ):
        sites.setdefault(client_name, [])
        if site_name:
            sites[client_name].append(site_name)
    vendors = sorted({vendor for vendor in session.scalars(select(Host.vendor).distinct()) if vendor}, key=str.lower)
    tags: dict[str, str] = {}
    for host_tags in session.scalars(select(Host.tags)):
        for tag in host_tags or ():
            tags.setdefault(tag.lower(), tag)
    return HostFormChoices(
        {client: tuple(names) for client, names in sites.items()},
        tuple(vendors),
        tuple(sorted(tags.values(), key=str.lower)),
    )
