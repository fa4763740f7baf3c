"""Putting the remote core together for one user: host keys, credentials from the vault, targets from the inventory
or ~/.ssh/config, and recording against a ticket. The command line uses it now; the remote panels will too.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from supportstation import audit
from supportstation.paths import AppPaths
from supportstation.remote.certificates import CertificatePins
from supportstation.remote.host_keys import APP_KNOWN_HOSTS_FILE, HostKeyStore, app_host_keys
from supportstation.remote.pool import CredentialSource
from supportstation.remote.recording import RecordingContext
from supportstation.remote.targets import (
    WINRM_HTTP_PORT,
    AuthMethod,
    Credentials,
    DeviceOptions,
    Target,
    TargetError,
    WinrmOptions,
    default_port,
    parse_jump_chain,
    parse_target,
)
from supportstation.settings import EngineerProfile
from supportstation.storage.database import Database
from supportstation.storage.enums import CredentialKind, HostTransport
from supportstation.storage.models import Engineer, Host, Intervention
from supportstation.tickets import no_such_ticket, ticket_id_by_reference
from supportstation.vault import SecretNotFound, Vault, VaultError

if TYPE_CHECKING:
    from supportstation.plugin_api.transports import Transport

log = logging.getLogger(__name__)

KNOWN_HOSTS_FILE = APP_KNOWN_HOSTS_FILE
OUTPUTS_FOLDER = "outputs"


def host_key_store(app_paths: AppPaths) -> HostKeyStore:
    return app_host_keys(app_paths.data)


def certificate_pins(app_paths: AppPaths) -> CertificatePins:
    """The WinRM certificates pinned for good, beside the known hosts (where ConnectionPool looks for them)."""
    from supportstation.remote.pool import PINNED_CERTIFICATES_FILE

    return CertificatePins(app_paths.data / PINNED_CERTIFICATES_FILE)


def vault_credentials(
    vault: Vault | None, *, password: str | None = None, passphrase: str | None = None
) -> CredentialSource:
    """Secrets for a target: those given for this command first, else the vault entry its credential names."""

    def credentials(target: Target) -> Credentials:
        found = Credentials(password=password, passphrase=passphrase)
        if vault is None or not target.credential_key or password or passphrase:
            return found
        try:
            secret = vault.load_text(target.credential_key)
        except SecretNotFound:
            log.warning("The vault has no entry %s for %s", target.credential_key, target.label)
            return found
        except VaultError as error:
            log.warning("Cannot read the vault entry for %s: %s", target.label, error)
            return found
        if "PRIVATE KEY-----" in secret:
            key_passphrase = _load_optional(vault, target.credential_key + "/passphrase")
            return Credentials(private_key=secret, passphrase=key_passphrase)
        if target.auth is AuthMethod.KEY:
            return Credentials(passphrase=secret)
        if target.device is not None:
            # A switch's enable secret is kept beside the login's password.
            return Credentials(password=secret, enable_secret=_load_optional(vault, target.credential_key + "/enable"))
        return Credentials(password=secret)

    return credentials


def _load_optional(vault: Vault, key: str) -> str | None:
    try:
        return vault.load_text(key)
    except VaultError:
        return None


# -- targets -----------------------------------------------------------------------------------------------------


def resolve_target(
    session: Session, text: str, *, ssh_config: Path | None = None, transports: Mapping[str, Transport] | None = None
) -> Target:
    """`ssh://…` as written; otherwise a host of the inventory by name; otherwise a Host of ~/.ssh/config (as ssh
    would resolve it); otherwise `user@host:port`. `transports` are the loaded plugins', for switches and BMCs."""
    if "://" in text:
        return parse_target(text)
    host = session.scalar(
        select(Host).where(func.lower(Host.name) == text.strip().lower()).options(selectinload(Host.credential))
    )
    if host is not None:
        return inventory_target(host, transports)
    configured = _from_ssh_config(text, ssh_config)
    if configured is not None:
        return configured
    return parse_target(text)


def inventory_target(host: Host, transports: Mapping[str, Transport] | None = None) -> Target:
    """Where and how to log in to an inventory host. The credential's user name wins over the host's login user:
    the secret belongs to that account. An agent credential has no vault entry, so it names none.

    A device host (a switch, a BMC) names a plugin's transport: its commands are in that transport's language, which
    only the loaded plugins know (`transports`, by name). Without the plugin the target keeps the name and an empty
    language: no action is offered for it, and connecting says which plugin is missing."""
    credential = host.credential
    auth = AuthMethod.AUTO
    if credential is not None:
        auth = {
            CredentialKind.PASSWORD: AuthMethod.PASSWORD,
            CredentialKind.SSH_KEY: AuthMethod.KEY,
            CredentialKind.SSH_AGENT: AuthMethod.AGENT,
        }.get(credential.kind, AuthMethod.AUTO)
    target = _address_target(host.address or host.name)
    user = (credential.username if credential is not None else "") or host.login_user or target.user
    has_secret = credential is not None and credential.kind is not CredentialKind.SSH_AGENT
    # Expanded here, not when stored: on a team database "~/.ssh/id_client" is each engineer's own file.
    identity_files = tuple(Path(path).expanduser() for path in host.identity_files or ())
    winrm = None
    device = None
    port = host.port or default_port(None)
    if host.transport is HostTransport.WINRM:
        # Port 5985 is WinRM's plain HTTP listener; anything else is taken as HTTPS, the default (5986).
        winrm = WinrmOptions(https=host.port != WINRM_HTTP_PORT)
        port = host.port or default_port(winrm)
    elif host.transport is HostTransport.DEVICE:
        transport = (transports or {}).get(host.device_transport)
        options = tuple(sorted((str(key), str(value)) for key, value in (host.device_options or {}).items()))
        device = DeviceOptions(host.device_transport, transport.language if transport else "", options)
        port = host.port or (transport.default_port if transport else port)
    return dataclasses.replace(
        target,
        winrm=winrm,
        device=device,
        port=port,
        user=user,
        auth=auth,
        identity_files=identity_files or target.identity_files,
        credential_key=credential.vault_key if has_secret and credential is not None else None,
        jump=parse_jump_chain(host.proxy_jump) if host.proxy_jump else target.jump,
        name=host.name,
        host_id=host.id,
    )


def _address_target(address: str) -> Target:
    # A bare IPv6 address is no `host:port` text for parse_target; older rows may hold user@host:port forms.
    bare = address[1:-1] if address.startswith("[") and address.endswith("]") else address
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return parse_target(address)
    return Target(host=bare)


def _from_ssh_config(alias: str, config_path: Path | None) -> Target | None:
    from supportstation.remote import ssh_config

    if "@" in alias or alias.startswith("["):
        return None
    try:
        entry = ssh_config.lookup(alias, config_path)
    except ssh_config.SshConfigError as error:
        raise TargetError(str(error)) from error
    renamed = entry.hostname.lower() != alias.lower()
    configured = renamed or entry.port != 22 or entry.user or entry.identity_files or entry.proxy_jump
    if not configured:
        return None  # nothing configured for it: an ordinary host name
    jump = tuple(_jump_hop(hop, config_path) for hop in entry.proxy_jump)
    return Target(
        host=entry.hostname,
        port=entry.port,
        user=entry.user or "",
        identity_files=tuple(entry.identity_files),
        jump=jump,
        name=alias,
    )


def jump_chain(text: str, config_path: Path | None = None) -> tuple[Target, ...]:
    """`-J user@jump:2222,other`, each hop read as ssh reads it: see `_jump_hop`. `none`: no jump."""
    if text.strip().lower() in ("", "none"):
        return ()
    return tuple(_jump_hop(hop.strip(), config_path) for hop in text.split(","))


def _jump_hop(text: str, config_path: Path | None) -> Target:
    """A hop's host is looked up in the ssh config as ssh -J does (HostName, Port, User, IdentityFile); a user or
    port written in the hop wins over the config's."""
    written = parse_target(text)
    configured = _from_ssh_config(written.host, config_path)
    if configured is None:
        return written
    port_written = re.search(r":\d+$", text.split("@", 1)[-1]) is not None
    return dataclasses.replace(
        configured,
        jump=(),
        user=written.user or configured.user,
        port=written.port if port_written else configured.port,
    )


# -- recording ---------------------------------------------------------------------------------------------------


def recording_context(
    database: Database,
    app_paths: AppPaths,
    vault: Vault,
    profile: EngineerProfile,
    *,
    demo: bool = False,
    ticket_reference: str | None = None,
    by_ticket_id: int | None = None,
) -> RecordingContext:
    """Who records, and on which ticket: read now, since the intervention running on the ticket may change between
    runs (the window asks again before each run)."""
    from supportstation.remote.targets import local_user

    ticket_id = intervention_id = author_id = None
    with database.session() as session:
        if profile.email.strip():
            author_id = session.scalar(
                select(Engineer.id).where(func.lower(Engineer.email) == profile.email.strip().lower())
            )
        if ticket_reference:
            ticket_id = ticket_id_by_reference(session, ticket_reference)
            if ticket_id is None:
                raise no_such_ticket(ticket_reference)
        elif by_ticket_id is not None:
            ticket_id = by_ticket_id
            # The intervention running on that ticket, if any: the run then counts as work done in it.
            intervention_id = session.scalar(
                select(Intervention.id)
                .where(Intervention.ticket_id == ticket_id, Intervention.ended_at.is_(None))
                .order_by(Intervention.started_at.desc())
                .limit(1)
            )
    return RecordingContext(
        database=database,
        outputs_folder=app_paths.data / OUTPUTS_FOLDER,
        actor=profile.email.strip() or local_user(),
        anchor=audit.Anchor(audit.anchor_path(app_paths, demo=demo), vault),
        ticket_id=ticket_id,
        intervention_id=intervention_id,
        author_id=author_id,
    )
