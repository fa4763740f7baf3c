"""Credentials: a row in the database that names a vault entry, and the secret itself in the vault.

    credential_id = create_credential(database, vault, CredentialDraft("Compte support", "password", "support",
                                                                         secret="s3cret"))

The secret never goes into the database. It is stored first; if the row cannot be written the secret is removed
again, so a failure leaves neither half. A private key is kept as its text, its passphrase beside it at
`vault_key + "/passphrase"` (where `workbench.vault_credentials` reads it). An agent credential stores nothing.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from supportstation.i18n import _
from supportstation.storage.enums import CredentialKind
from supportstation.storage.models import CredentialRef, Host
from supportstation.vault import SecretNotFound, VaultError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from supportstation.storage.database import Database
    from supportstation.vault import Vault

MAX_LABEL = 200
MAX_USERNAME = 200
MAX_KEY_FILE_BYTES = 64 * 1024  # an RSA 16384-bit key is ~12 KB; anything larger is not a private key
PASSPHRASE_SUFFIX = "/passphrase"
# The kinds whose secret is typed or read from a file; an agent credential has none.
SECRET_KINDS = frozenset({CredentialKind.PASSWORD, CredentialKind.SSH_KEY, CredentialKind.API_TOKEN})


class CredentialError(ValueError):
    """The credential cannot be saved; `field` names the form field at fault (label, kind, username, secret,
    passphrase), or is empty when the vault or the database refused."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CredentialRow:
    credential_id: int
    label: str
    kind: CredentialKind
    username: str
    vault_key: str
    host_count: int

    @property
    def display(self) -> str:
        """'Compte support (support, password)': how a list names it."""
        details = ", ".join(part for part in (self.username, kind_label(self.kind)) if part)
        return f"{self.label} ({details})"


@dataclass(frozen=True)
class CredentialDraft:
    label: str
    kind: CredentialKind | str
    username: str = ""
    # None: keep the stored one (when editing). A key is its text (see read_key_file). Never shown by repr.
    secret: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)


def kind_label(kind: CredentialKind) -> str:
    return {
        CredentialKind.PASSWORD: _("password"),
        CredentialKind.SSH_KEY: _("SSH key"),
        CredentialKind.SSH_AGENT: _("SSH agent"),
        CredentialKind.API_TOKEN: _("API token"),
    }[kind]


def list_credentials(session: Session) -> list[CredentialRow]:
    counts = dict(
        session.execute(
            select(Host.credential_ref_id, func.count()).where(Host.credential_ref_id.is_not(None)).group_by(
                Host.credential_ref_id
            )
        ).all()
    )  # fmt: skip
    return [
        CredentialRow(ref.id, ref.label, ref.kind, ref.username, ref.vault_key, counts.get(ref.id, 0))
        for ref in session.scalars(select(CredentialRef).order_by(func.lower(CredentialRef.label)))
    ]


def read_key_file(path: Path) -> str:
    """A private key file's text, for storing in the vault. Raises CredentialError saying what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_KEY_FILE_BYTES:
            raise CredentialError(
                _("{path} is {size} KB: too large for a private key.").format(path=path, size=size // 1024), "secret"
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CredentialError(_("{path} is not a private key (it is not text).").format(path=path), "secret") from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise CredentialError(_("Cannot read {path}: {reason}").format(path=path, reason=reason), "secret") from error
    if "PRIVATE KEY-----" not in text:
        hint = _(" This looks like a public key: choose the file without .pub.") if text.startswith("ssh-") else ""
        raise CredentialError(_("{path} is not a private key.").format(path=path) + hint, "secret")
    return text


def check_private_key(text: str, passphrase: str | None) -> None:
    """Raises CredentialError unless paramiko can load the key with this passphrase: a wrong passphrase found now
    is better than at the first connection on site."""
    import paramiko

    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key_class.from_private_key(io.StringIO(text), passphrase or None)
            return
        except paramiko.PasswordRequiredException:
            raise CredentialError(_("This key is protected: give its passphrase."), "passphrase") from None
        except (paramiko.SSHException, ValueError, TypeError):
            continue  # another type, or a wrong passphrase: the other classes decide
    if passphrase:
        raise CredentialError(_("The passphrase does not open this key (or the key is damaged)."), "passphrase")
    raise CredentialError(_("This private key cannot be read (unknown type or damaged)."), "secret")


def _checked(draft: CredentialDraft, *, creating: bool) -> tuple[str, CredentialKind, str]:
    label = " ".join(draft.label.split())
    if not label:
        raise CredentialError(_("The label is required."), "label")
    if len(label) > MAX_LABEL:
        raise CredentialError(_("The label must be at most {limit} characters.").format(limit=MAX_LABEL), "label")
    try:
        kind = CredentialKind(draft.kind)
    except ValueError:
        choices = ", ".join(kind.value for kind in CredentialKind)
        raise CredentialError(
            _("Unknown kind '{kind}': use one of {choices}.").format(kind=draft.kind, choices=choices), "kind"
        ) from None
    username = draft.username.strip()
    if len(username) > MAX_USERNAME or any(unicodedata.category(character) == "Cc" for character in username):
        raise CredentialError(_("'{user}' is not a user name.").format(user=username[:80]), "username")
    if kind in SECRET_KINDS and creating and not draft.secret:
        raise CredentialError(
            _("Choose the key file.") if kind is CredentialKind.SSH_KEY else _("The secret is required."), "secret"
        )
    if kind is CredentialKind.SSH_KEY and draft.secret:
        check_private_key(draft.secret, draft.passphrase)
    return label, kind, username


def _label_taken(session: Session, label: str, credential_id: int | None) -> bool:
    found = session.scalar(select(CredentialRef.id).where(func.lower(CredentialRef.label) == label.lower()))
    return found is not None and found != credential_id


def _taken_error(label: str) -> CredentialError:
    return CredentialError(_("A credential named {label} already exists.").format(label=label), "label")


def create_credential(database: Database, vault: Vault, draft: CredentialDraft) -> int:
    """Stores the secret in the vault, then the reference in the database; returns the reference's id."""
    label, kind, username = _checked(draft, creating=True)
    with database.session() as session:
        if _label_taken(session, label, None):
            raise _taken_error(label)
    vault_key = f"credential/{uuid.uuid4().hex}"
    _store_secrets(vault, vault_key, kind, draft)
    try:
        with database.session() as session:
            ref = CredentialRef(label=label, kind=kind, username=username, vault_key=vault_key)
            session.add(ref)
            session.flush()
            return ref.id
    except IntegrityError as error:
        _forget(vault, vault_key)
        raise _taken_error(label) from error
    except BaseException:
        _forget(vault, vault_key)
        raise


def update_credential(database: Database, vault: Vault, credential_id: int, draft: CredentialDraft) -> None:
    """Changes the label, kind or user name; replaces the secret when the draft has one (None keeps it; a new key
    replaces its passphrase too). A new kind that needs a secret needs one given now."""
    label, kind, username = _checked(draft, creating=False)
    with database.session() as session:
        ref = session.get(CredentialRef, credential_id)
        if ref is None:
            raise CredentialError(_("This credential no longer exists."))
        if _label_taken(session, label, credential_id):
            raise _taken_error(label)
        if kind != ref.kind and kind in SECRET_KINDS and not draft.secret:
            raise CredentialError(_("Give the new secret for this kind of credential."), "secret")
        if draft.secret is not None or kind is CredentialKind.SSH_AGENT:
            _store_secrets(vault, ref.vault_key, kind, draft)
        try:
            ref.label, ref.kind, ref.username = label, kind, username
            session.flush()
        except IntegrityError as error:
            raise _taken_error(label) from error


def delete_credential(database: Database, vault: Vault, credential_id: int) -> int:
    """Removes the reference, then its secrets; returns how many hosts used it (they now have none)."""
    with database.session() as session:
        ref = session.get(CredentialRef, credential_id)
        if ref is None:
            return 0
        vault_key = ref.vault_key
        users = session.scalar(select(func.count()).where(Host.credential_ref_id == credential_id)) or 0
        for host in session.scalars(select(Host).where(Host.credential_ref_id == credential_id)):
            host.credential_ref_id = None
        session.delete(ref)
    # After the commit: a secret left behind by a failure here is harmless; a reference without its secret is not.
    _forget(vault, vault_key)
    return users


def _store_secrets(vault: Vault, vault_key: str, kind: CredentialKind, draft: CredentialDraft) -> None:
    """Writes the secret (and a key's passphrase) and removes what the new kind no longer has."""
    try:
        if kind is CredentialKind.SSH_AGENT:
            _delete_if_present(vault, vault_key)
            _delete_if_present(vault, vault_key + PASSPHRASE_SUFFIX)
            return
        if draft.secret is None:
            return
        vault.store(vault_key, draft.secret)
        if kind is CredentialKind.SSH_KEY and draft.passphrase:
            vault.store(vault_key + PASSPHRASE_SUFFIX, draft.passphrase)
        else:
            _delete_if_present(vault, vault_key + PASSPHRASE_SUFFIX)
    except VaultError as error:
        raise CredentialError(_("The vault refused the secret: {reason}").format(reason=error)) from error


def _forget(vault: Vault, vault_key: str) -> None:
    for key in (vault_key, vault_key + PASSPHRASE_SUFFIX):
        # A secret nobody references any more if this fails: nothing the user could do about it.
        with contextlib.suppress(VaultError):
            _delete_if_present(vault, key)


def _delete_if_present(vault: Vault, key: str) -> None:
    with contextlib.suppress(SecretNotFound):
        vault.delete(key)
