"""The preferred vault: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service on Linux).

Keyring entries are small: Windows Credential Manager refuses blobs over 2,560 bytes, stored as UTF-16 (1,280
characters). Every secret whose stored form exceeds `inline_limit` (2,000 bytes by default, on every platform, so a
vault behaves the same everywhere) is written instead as an AES-GCM encrypted file under `<data>/vault/large/`, and
the keyring entry keeps the file's random data key. Each store uses a new file and key, and the old file is removed
only after the keyring points at the new one, so a failure at any step leaves the previous secret readable.

Keyrings cannot list their entries, so the keys stored (never the secrets) are kept in `keyring-index.json`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import secrets as random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from supportstation.i18n import _
from supportstation.vault import crypto
from supportstation.vault.errors import SecretNotFound, VaultError, VaultTampered
from supportstation.vault.redaction import redact
from supportstation.vault.store import file_stem

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "SupportStation"
DEFAULT_INLINE_LIMIT = 2000
INDEX_FILE = "keyring-index.json"
LARGE_FOLDER = "large"
FORMAT = "supportstation-vault-large"
VERSION = 1
# Stored values are tagged so bytes, text and file pointers round-trip; an untagged value (typed into a keyring
# manager by hand) is read as text.
_TEXT, _BINARY, _FILE = "ssv1:t:", "ssv1:b:", "ssv1:f:"

T = TypeVar("T")


def stored_size(value: str) -> int:
    """The larger of the UTF-8 and UTF-16 sizes: Windows stores UTF-16, Secret Service and Keychain UTF-8."""
    return max(len(value.encode("utf-8")), len(value.encode("utf-16-le")))


class KeyringStore:
    name = "keyring"
    needs_password = False
    unlocked = True  # the OS unlocks its keyring with the session

    def __init__(
        self,
        backend: KeyringBackend,
        folder: Path,
        *,
        service: str = SERVICE,
        inline_limit: int = DEFAULT_INLINE_LIMIT,
    ) -> None:
        self.backend = backend
        self.folder = folder
        self.service = service
        self.inline_limit = inline_limit

    def __repr__(self) -> str:
        return f"<KeyringStore {type(self.backend).__name__} service={self.service!r} folder={str(self.folder)!r}>"

    def unlock(self, password: str) -> None:
        """Nothing to do: there is no master password with the OS keyring."""

    def lock(self) -> None:
        """Nothing to do: the OS keyring locks with the session."""

    # Keyring calls -------------------------------------------------------------------------------------------------

    def _call(self, key: str, failure: str, call: Callable[[], T], secret: bytes | None = None) -> T:
        """Runs a keyring call, turning its failures into VaultError without their possibly secret-bearing cause.

        `failure` is a translated message with {key} and {detail} placeholders.
        """
        from keyring.errors import KeyringLocked  # imported by the backend already: keyring stays out of the files path

        try:
            return call()
        except KeyringLocked:
            raise VaultError(
                _("The system keyring is locked; unlock it to use the secret {key}.").format(key=key), key=key
            ) from None
        except Exception as error:  # backends raise anything: D-Bus, Win32, keyring errors
            detail = f"{type(error).__name__}: {error}"
            if secret is not None:
                detail = redact(detail, [secret])
            raise VaultError(failure.format(key=key, detail=detail), key=key) from None

    def _read_entry(self, key: str) -> str | None:
        return self._call(
            key,
            _("The system keyring failed to read the secret {key} ({detail})."),
            lambda: self.backend.get_password(self.service, key),
        )

    # Large secrets -------------------------------------------------------------------------------------------------

    def _large_path(self, key: str, file_id: str) -> Path:
        return self.folder / LARGE_FOLDER / f"{file_stem(key)}-{file_id}.secret"

    @staticmethod
    def _large_associated_data(key: str, file_id: str) -> bytes:
        return f"{FORMAT}/{VERSION}\0{file_id}\0{key}".encode()

    def _write_large(self, key: str, secret: bytes) -> str:
        data_key, file_id = crypto.new_key(), random.token_hex(8)
        nonce, ciphertext = crypto.encrypt(data_key, secret, self._large_associated_data(key, file_id))
        document = {"format": FORMAT, "version": VERSION, "key": key, "nonce": crypto.b64(nonce)}
        document["ciphertext"] = crypto.b64(ciphertext)
        try:
            crypto.atomic_write(self._large_path(key, file_id), json.dumps(document).encode("utf-8"))
        except OSError as error:
            raise VaultError(
                _("Cannot save the secret {key}: {reason}").format(key=key, reason=error.strerror), key=key
            ) from None
        return _FILE + file_id + ":" + crypto.b64(data_key)

    def _read_large(self, key: str, pointer: str) -> bytes:
        damaged = VaultTampered(
            _("The encrypted file of the secret {key} was altered or damaged ({path}).").format(
                key=key, path=self.folder / LARGE_FOLDER
            ),
            key=key,
        )
        try:
            file_id, data_key_text = pointer.split(":", 1)
            data_key = crypto.unb64(data_key_text)
        except ValueError:
            raise damaged from None
        path = self._large_path(key, file_id)
        try:
            document = json.loads(path.read_bytes())
            nonce, ciphertext = crypto.unb64(document["nonce"]), crypto.unb64(document["ciphertext"])
        except FileNotFoundError:
            raise VaultError(
                _("The encrypted file of the secret {key} is missing ({path}).").format(key=key, path=path), key=key
            ) from None
        except OSError as error:
            raise VaultError(
                _("Cannot read the secret {key}: {reason}").format(key=key, reason=error.strerror), key=key
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise damaged from None
        secret = crypto.decrypt(data_key, nonce, ciphertext, self._large_associated_data(key, file_id))
        if secret is None or document.get("key") != key:
            raise damaged
        return secret

    def _remove_large(self, key: str, value: str | None) -> None:
        if value and value.startswith(_FILE):
            file_id = value[len(_FILE) :].split(":", 1)[0]
            with contextlib.suppress(FileNotFoundError):
                self._large_path(key, file_id).unlink()

    # Index ---------------------------------------------------------------------------------------------------------

    @property
    def index_file(self) -> Path:
        return self.folder / INDEX_FILE

    def list_keys(self) -> list[str]:
        try:
            document: Any = json.loads(self.index_file.read_bytes())
            return sorted(key for key in document.get("keys", []) if isinstance(key, str))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, AttributeError):
            log.warning("The vault index %s is unreadable; listing no secret", self.index_file)
            return []

    def _update_index(self, key: str, present: bool) -> None:
        keys = set(self.list_keys())
        keys = keys | {key} if present else keys - {key}
        document = {"service": self.service, "keys": sorted(keys)}
        try:
            crypto.atomic_write(self.index_file, json.dumps(document, indent=2).encode("utf-8"))
        except OSError as error:
            # The secret itself is safe in the keyring; only redaction of it would be missed.
            log.warning("Cannot update the vault index %s: %s", self.index_file, error.strerror)

    # SecretStore ---------------------------------------------------------------------------------------------------

    def put(self, key: str, secret: bytes) -> None:
        try:
            value = _TEXT + secret.decode("utf-8")
        except UnicodeDecodeError:
            value = _BINARY + base64.b64encode(secret).decode("ascii")
        previous = self._read_entry(key)
        if stored_size(value) > self.inline_limit:
            value = self._write_large(key, secret)
        try:
            self._call(
                key,
                _("The system keyring failed to save the secret {key} ({detail})."),
                lambda: self.backend.set_password(self.service, key, value),
                secret,
            )
        except VaultError:
            self._remove_large(key, value)
            raise
        self._remove_large(key, previous)
        self._update_index(key, present=True)
        log.debug("Stored the secret %s in the keyring (%s)", key, "file" if value.startswith(_FILE) else "inline")

    def get(self, key: str) -> bytes:
        value = self._read_entry(key)
        if value is None:
            raise SecretNotFound(_("No secret is stored under {key}.").format(key=key), key=key)
        if value.startswith(_FILE):
            return self._read_large(key, value[len(_FILE) :])
        if value.startswith(_BINARY):
            try:
                return base64.b64decode(value[len(_BINARY) :], validate=True)
            except (ValueError, binascii.Error):
                raise VaultTampered(
                    _("The keyring entry of the secret {key} is damaged.").format(key=key), key=key
                ) from None
        return value.removeprefix(_TEXT).encode("utf-8")

    def remove(self, key: str) -> None:
        value = self._read_entry(key)
        if value is None:
            self._update_index(key, present=False)
            raise SecretNotFound(_("No secret is stored under {key}.").format(key=key), key=key)
        self._call(
            key,
            _("The system keyring failed to delete the secret {key} ({detail})."),
            lambda: self.backend.delete_password(self.service, key),
        )
        self._remove_large(key, value)
        self._update_index(key, present=False)

    def contains(self, key: str) -> bool:
        return self._read_entry(key) is not None
