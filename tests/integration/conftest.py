"""What the WinRM tests share: the simulator's certificates (made once) and their SHA-256 as a pin."""

from __future__ import annotations

import hashlib
import ssl
from typing import Any

import pytest


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A CA and a server certificate for 127.0.0.1, as the simulator's `CertPair`. The simulator is imported here,
    not at the top: the modules that use it decide whether its absence skips them or fails them (on CI)."""
    from winrm_simulator import make_cert_pair

    return make_cert_pair(tmp_path_factory.mktemp("winrm-certs"))


def sha256_of(certs: Any) -> str:
    """The server certificate's SHA-256 fingerprint, as an engineer pins it."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(certs.cert.read_text())).hexdigest()
