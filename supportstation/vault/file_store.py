"""The fallback vault: one AES-GCM encrypted file per secret under `<data>/vault/`, unlocked by a master password.

Used where no OS keyring works (a headless Linux without a Secret Service, a locked-down machine). The master
password is never stored: scrypt turns it into the encryption key, and `vault.json` holds only the salt, scrypt's
parameters and a known value encrypted with that key, so a wrong password is told apart from a damaged secret file.
Each secret file is bound to its vault key through AES-GCM's associated data, so a file altered, truncated or copied
over another key's file fails authentication instead of yielding the wrong secret.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from supportstation.i18n import _
from supportstation.vault import crypto
from supportstation.vault.errors import SecretNotFound, VaultError, VaultLocked, VaultTampered, WrongPassword
from supportstation.vault.store import file_stem

log = logging.getLogger(__name__)

HEADER_FILE = "vault.json"
SECRETS_FOLDER = "secrets"
SUFFIX = ".secret"
FORMAT = "supportstation-vault"
VERSION = 1
_CHECK_PLAINTEXT = b"SupportStation vault check"


def _secret_associated_data(key: str) -> bytes:
    return f"{FORMAT}/{VERSION}/secret\0{key}".encode()


def _header_associated_data(header: dict[str, object]) -> bytes:
    # The KDF parameters are authenticated with the check value: altering them reads as a wrong password.
    fields = {name: header[name] for name in ("format", "version", "kdf", "salt", "n", "r", "p")}
    return json.dumps(fields, sort_keys=True).encode("utf-8")


class EncryptedFileStore:
    """Secrets in `<folder>/secrets/<sha256(key)>.secret`; `<folder>/vault.json` describes the master key."""

    name = "encrypted-file"
    needs_password = True

    def __init__(self, folder: Path, *, scrypt: crypto.ScryptParameters | None = None) -> None:
        self.folder = folder
        self._scrypt = scrypt or crypto.ScryptParameters()
        self._key: bytes | None = None

    def __repr__(self) -> str:
        state = "unlocked" if self._key else "locked"
        return f"<EncryptedFileStore {str(self.folder)!r} {state}>"

    @property
    def header_file(self) -> Path:
        return self.folder / HEADER_FILE

    @property
    def secrets_folder(self) -> Path:
        return self.folder / SECRETS_FOLDER

    @property
    def exists(self) -> bool:
        """Whether a vault was created here: the first `unlock` creates one with the password it is given."""
        return self.header_file.exists()

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def unlock(self, password: str) -> None:
        if not password:
            raise VaultError(_("The master password cannot be empty."))
        if self.exists:
            self._key = self._open(password)
        else:
            self._key = self._create(password)

    def lock(self) -> None:
        self._key = None

    def _create(self, password: str) -> bytes:
        if self.secrets_folder.is_dir() and any(self.secrets_folder.glob("*" + SUFFIX)):
            # A new master key would make the existing files unreadable for good: refuse rather than guess.
            raise VaultError(
                _("The vault file {path} is missing but encrypted secrets remain; restore it from a backup.").format(
                    path=self.header_file
                )
            )
        salt = os.urandom(crypto.SALT_BYTES)
        header: dict[str, object] = {
            "format": FORMAT,
            "version": VERSION,
            "kdf": "scrypt",
            "salt": crypto.b64(salt),
            "n": self._scrypt.n,
            "r": self._scrypt.r,
            "p": self._scrypt.p,
        }
        key = crypto.derive_key(password, salt, self._scrypt)
        nonce, check = crypto.encrypt(key, _CHECK_PLAINTEXT, _header_associated_data(header))
        header["check_nonce"] = crypto.b64(nonce)
        header["check"] = crypto.b64(check)
        crypto.atomic_write(self.header_file, json.dumps(header, indent=2).encode("utf-8"))
        log.info("Created an encrypted vault in %s", self.folder)
        return key

    def _open(self, password: str) -> bytes:
        try:
            header = json.loads(self.header_file.read_bytes())
            if header.get("format") != FORMAT or header.get("version") != VERSION or header.get("kdf") != "scrypt":
                raise ValueError("unknown format")
            parameters = crypto.ScryptParameters(n=int(header["n"]), r=int(header["r"]), p=int(header["p"]))
            salt = crypto.unb64(header["salt"])
            nonce, check = crypto.unb64(header["check_nonce"]), crypto.unb64(header["check"])
            associated = _header_associated_data(header)
        except OSError as error:
            raise VaultError(
                _("Cannot read the vault file {path}: {reason}").format(path=self.header_file, reason=error.strerror)
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VaultTampered(
                _("The vault file {path} is damaged or not a SupportStation vault.").format(path=self.header_file)
            ) from None
        try:
            key = crypto.derive_key(password, salt, parameters)
        except (ValueError, MemoryError):  # absurd scrypt parameters: the header was altered
            raise VaultTampered(
                _("The vault file {path} is damaged or not a SupportStation vault.").format(path=self.header_file)
            ) from None
        if crypto.decrypt(key, nonce, check, associated) != _CHECK_PLAINTEXT:
            raise WrongPassword(_("The master password is wrong."))
        return key

    def _require_key(self) -> bytes:
        if self._key is None:
            raise VaultLocked(_("The vault is locked: enter the master password first."))
        return self._key

    def _path(self, key: str) -> Path:
        return self.secrets_folder / (file_stem(key) + SUFFIX)

    def put(self, key: str, secret: bytes) -> None:
        master = self._require_key()
        nonce, ciphertext = crypto.encrypt(master, secret, _secret_associated_data(key))
        document = {"format": FORMAT, "version": VERSION, "key": key, "nonce": crypto.b64(nonce)}
        document["ciphertext"] = crypto.b64(ciphertext)
        try:
            crypto.atomic_write(self._path(key), json.dumps(document).encode("utf-8"))
        except OSError as error:
            raise VaultError(
                _("Cannot save the secret {key}: {reason}").format(key=key, reason=error.strerror), key=key
            ) from None

    def get(self, key: str) -> bytes:
        master = self._require_key()
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise SecretNotFound(_("No secret is stored under {key}.").format(key=key), key=key) from None
        except OSError as error:
            raise VaultError(
                _("Cannot read the secret {key}: {reason}").format(key=key, reason=error.strerror), key=key
            ) from None
        secret = None
        try:
            document = json.loads(raw)
            if document.get("key") == key:
                nonce, ciphertext = crypto.unb64(document["nonce"]), crypto.unb64(document["ciphertext"])
                secret = crypto.decrypt(master, nonce, ciphertext, _secret_associated_data(key))
        except (ValueError, KeyError, TypeError, AttributeError):
            secret = None
        if secret is None:
            raise VaultTampered(
                _("The encrypted file of the secret {key} was altered or damaged ({path}).").format(key=key, path=path),
                key=key,
            )
        return secret

    def remove(self, key: str) -> None:
        self._require_key()
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            raise SecretNotFound(_("No secret is stored under {key}.").format(key=key), key=key) from None
        except OSError as error:
            raise VaultError(
                _("Cannot delete the secret {key}: {reason}").format(key=key, reason=error.strerror), key=key
            ) from None

    def contains(self, key: str) -> bool:
        self._require_key()
        return self._path(key).is_file()

    def list_keys(self) -> list[str]:
        """The keys stored, read from the files; a file whose name does not match its key is left out (tampered)."""
        self._require_key()
        found = []
        for path in sorted(self.secrets_folder.glob("*" + SUFFIX)):
            try:
                key = json.loads(path.read_bytes()).get("key")
            except (OSError, ValueError, AttributeError):
                log.warning("Ignoring the unreadable vault file %s", path)
                continue
            if isinstance(key, str) and path.name == file_stem(key) + SUFFIX:
                found.append(key)
            else:
                log.warning("Ignoring the vault file %s: its content does not match its name", path)
        return found
