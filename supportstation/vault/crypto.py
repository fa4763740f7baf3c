"""Encryption primitives shared by the vault's file stores: AES-256-GCM, scrypt and atomic file writes.

AES-GCM is authenticated: any change to a nonce, a ciphertext or the associated data (the vault key the file belongs
to) makes decryption fail, which is how tampering and swapped files are detected.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

KEY_BYTES = 32
NONCE_BYTES = 12  # the size AES-GCM is designed for; random nonces are safe far beyond the number of secrets we keep
SALT_BYTES = 16
TEMPORARY_PREFIX = ".tmp-"


@dataclass(frozen=True)
class ScryptParameters:
    """scrypt's cost. The defaults (n=2**15, r=8: 32 MiB, ~0.1 s) follow the cryptography docs' interactive-login
    guidance; they are stored with each vault so a vault keeps opening if the defaults change later."""

    n: int = 2**15
    r: int = 8
    p: int = 1


def derive_key(password: str, salt: bytes, parameters: ScryptParameters) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=parameters.n, r=parameters.r, p=parameters.p)
    return kdf.derive(password.encode("utf-8"))


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
    """Returns (nonce, ciphertext-with-tag)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated: bytes) -> bytes | None:
    """The plaintext, or None when authentication fails (wrong key, or altered data)."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated)
    except (InvalidTag, ValueError):  # ValueError: a nonce of the wrong length, i.e. a damaged file
        return None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    """Decodes base64 read from a file; raises ValueError on anything else, including non-strings."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def private_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # Windows ignores POSIX modes; its profile folders are private already
        folder.chmod(0o700)
    return folder


def atomic_write(path: Path, data: bytes) -> None:
    """Replaces `path` with `data` all at once: a crash or a full disk leaves either the old file or the new one,
    never a truncated mix, and no temporary file behind."""
    private_folder(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # The rename itself must reach the disk too; directories cannot be opened this way on Windows.
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
