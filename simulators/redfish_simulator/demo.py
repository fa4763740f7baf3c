"""The demo's BMC: the emulator dressed as the iDRAC of the demo's `srv-mairie` (`idrac-srv-mairie`), on 127.0.0.1.

Its certificate is kept in the given folder and it tries the same port first at every start, so a certificate the
engineer pinned for host:port stays pinned at the next start. The fake server's state (its power) is kept there too.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .certificate import EmulatorCertificate, make_self_signed_certificate
from .server import TEST_USER, RedfishEmulator

USER = TEST_USER  # "root", as on a Dell iDRAC out of the box
PREFERRED_PORT = 52443
CERTIFICATE_DAYS = 825  # the longest a browser accepts; renewed (a new fingerprint to pin) once expired


def certificate(folder: Path, common_name: str) -> EmulatorCertificate:
    """The demo's certificate, made once in `folder` and then reused while it is valid."""
    pem, key = folder / "bmc.pem", folder / "bmc.key"
    if pem.exists() and key.exists():
        loaded = x509.load_pem_x509_certificate(pem.read_bytes())
        if loaded.not_valid_after_utc > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1):
            der = loaded.public_bytes(serialization.Encoding.DER)
            return EmulatorCertificate(pem, key, hashlib.sha256(der).hexdigest())
    return make_self_signed_certificate(folder, common_name, days=CERTIFICATE_DAYS)


def demo_bmc(folder: Path, name: str, password: str) -> RedfishEmulator:
    """A started emulator playing the BMC `name`; its files live in `folder`."""
    pair = certificate(folder / "tls", name)
    emulator = None
    for port in (PREFERRED_PORT, 0):
        candidate = RedfishEmulator(
            folder / "auth", pair, user=USER, password=password, port=port, state_folder=folder / "state"
        )
        with contextlib.suppress(OSError):  # the preferred port is taken: any free one will do
            candidate.start()
            emulator = candidate
            break
    assert emulator is not None
    return emulator
