"""What every vault backend provides; `Vault` adds the key checks, str handling and redaction support on top."""

from __future__ import annotations

import hashlib
from typing import Protocol


class SecretStore(Protocol):
    """A backend. Secrets are bytes here; keys are already validated by `Vault`."""

    @property
    def name(self) -> str: ...

    @property
    def needs_password(self) -> bool: ...

    @property
    def unlocked(self) -> bool: ...

    def unlock(self, password: str) -> None: ...

    def lock(self) -> None: ...

    def put(self, key: str, secret: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def remove(self, key: str) -> None: ...

    def contains(self, key: str) -> bool: ...

    def list_keys(self) -> list[str]: ...


def file_stem(key: str) -> str:
    """A file name for a key: keys contain slashes and any character, and file names must not reveal them anyway."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
