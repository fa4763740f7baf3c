"""Authentication for the WinRM simulator: Basic, and NTLM with WinRM's HTTP message encryption.

NTLM uses pyspnego's acceptor. pyspnego reads the accounts an NTLM acceptor checks from the file named by the
environment variable NTLM_USER_FILE (lines `DOMAIN:USER:PASSWORD`), a process-wide setting: the simulator writes its
users there while it runs, so only one NTLM-enabled simulator should run in a process at a time.

Over plain HTTP, pywinrm encrypts every NTLM-authenticated message (MS-WSMV 2.2.9.1.1, `multipart/encrypted` with
protocol application/HTTP-SPNEGO-session-encrypted); `decrypt`/`encrypt` are the server side of that.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

import spnego

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_OCTET_STREAM = b"\tContent-Type: application/octet-stream\r\n"
_LENGTH = re.compile(rb"Length=(\d+)")


class EncryptionError(Exception):
    """An encrypted body that cannot be read with the connection's NTLM context."""


def split_user(name: str) -> tuple[str, str]:
    """`DOMAIN\\user` into its parts; a bare name has an empty domain (what an NTLM client sends for `user`)."""
    domain, _, user = name.rpartition("\\")
    return domain, user


def ntlm_user_file_text(users: dict[str, str]) -> str:
    """The users in pyspnego's Heimdal-style credential file format."""
    return "".join(f"{domain}:{user}:{password}\n" for domain, user, password in _triples(users))


def _triples(users: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(*split_user(name), password) for name, password in users.items()]


def check_basic(token: str, users: dict[str, str]) -> str | None:
    """The user a Basic token authenticates, or None. User names compare case-insensitively, as on Windows."""
    try:
        name, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    for known, known_password in users.items():
        if known.casefold() == name.casefold() and known_password == password:
            return known
    return None


def new_ntlm_acceptor() -> spnego.ContextProxy:
    return spnego.server(protocol="ntlm")


def decrypt(context: spnego.ContextProxy, body: bytes) -> bytes:
    """The SOAP message inside a `multipart/encrypted` body (one part: pywinrm never splits NTLM messages)."""
    parts = [part for part in body.split(BOUNDARY + b"\r\n") if part]
    if len(parts) != 2 or not parts[1].startswith(_OCTET_STREAM):
        raise EncryptionError("not a single-part encrypted WinRM message")
    length = _LENGTH.search(parts[0])
    payload = parts[1][len(_OCTET_STREAM) :].removesuffix(BOUNDARY + b"--\r\n")
    (header_length,) = struct.unpack("<I", payload[:4])
    header = payload[4 : 4 + header_length]
    try:
        message = context.unwrap_winrm(header, payload[4 + header_length :])
    except spnego.exceptions.SpnegoError as exc:
        raise EncryptionError(str(exc)) from exc
    if length is None or int(length.group(1)) != len(message):
        raise EncryptionError("the decrypted length differs from the announced one")
    return message


def encrypt(context: spnego.ContextProxy, message: bytes) -> bytes:
    """A response body in the same framing, sealed with the connection's NTLM context."""
    wrapped = context.wrap_winrm(message)
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(message)).encode()
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + _OCTET_STREAM
        + struct.pack("<I", len(wrapped.header))
        + wrapped.header
        + wrapped.data
        + BOUNDARY
        + b"--\r\n"
    )
