"""Logging in over SSH: agent, key files, password and keyboard-interactive, in the order ssh tries them.

Failures say which methods were tried and why each failed, without ever naming a secret.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import paramiko

from supportstation.i18n import _
from supportstation.remote.results import AuthenticationFailed, ConnectError
from supportstation.remote.targets import AuthMethod, Credentials, Target

log = logging.getLogger(__name__)

PASSWORD_PROMPT_WORDS = ("password", "mot de passe", "passwort", "contraseña")


class _Attempts:
    """What was tried, for the message shown when nothing worked."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.allowed: Sequence[str] | None = None

    def allows(self, method: str) -> bool:
        return self.allowed is None or method in self.allowed

    def run(self, description: str, attempt: Callable[[], object]) -> bool:
        try:
            attempt()
        except paramiko.BadAuthenticationType as error:
            self.allowed = list(error.allowed_types)
            self.notes.append(_("{method}: not accepted by the server").format(method=description))
            return False
        except paramiko.AuthenticationException:
            self.notes.append(_("{method}: refused").format(method=description))
            return False
        return True


def authenticate(transport: paramiko.Transport, target: Target, credentials: Credentials, timeout: float) -> None:
    user = target.login
    transport.auth_timeout = timeout  # paramiko waits 30 s for an answer to each attempt otherwise
    attempts = _Attempts()
    method = target.auth
    password = credentials.password
    try:
        if method in (AuthMethod.AUTO, AuthMethod.AGENT) and _try_agent(transport, user, attempts):
            return
        if method in (AuthMethod.AUTO, AuthMethod.KEY) and _try_vault_key(transport, user, credentials, attempts):
            return
        if method in (AuthMethod.AUTO, AuthMethod.KEY) and _try_key_files(transport, target, credentials, attempts):
            return
        if password and method is not AuthMethod.AGENT and _try_password(transport, user, password, method, attempts):
            return
    except (paramiko.SSHException, EOFError, OSError) as error:
        raise ConnectError(
            _("{target}: the connection failed during the login: {error}").format(target=target.label, error=error)
        ) from error
    if not password and method in (AuthMethod.PASSWORD, AuthMethod.KEYBOARD_INTERACTIVE):
        attempts.notes.append(_("no password was given"))
    tried = "; ".join(attempts.notes) or _("no usable key or password")
    raise AuthenticationFailed(
        _("{user}@{host} refused the login ({tried}).").format(user=user, host=target.host, tried=tried)
    )


def _try_password(
    transport: paramiko.Transport, user: str, password: str, method: AuthMethod, attempts: _Attempts
) -> bool:
    by_password = method in (AuthMethod.AUTO, AuthMethod.PASSWORD) and attempts.allows("password")
    if by_password and attempts.run(_("password"), lambda: transport.auth_password(user, password, fallback=False)):
        return True
    # Servers behind PAM often take the password only through keyboard-interactive.
    if method is not AuthMethod.KEY and attempts.allows("keyboard-interactive"):
        return attempts.run("keyboard-interactive", lambda: transport.auth_interactive(user, _answer_with(password)))
    return False


def default_identity_files() -> list[Path]:
    """The keys ssh tries when none is configured."""
    folder = Path(os.path.expanduser("~/.ssh"))
    return [folder / name for name in ("id_ed25519", "id_ecdsa", "id_rsa")]


def _try_agent(transport: paramiko.Transport, user: str, attempts: _Attempts) -> bool:
    if not os.environ.get("SSH_AUTH_SOCK"):
        return False
    try:
        agent = paramiko.Agent()
        keys = agent.get_keys()
    except paramiko.SSHException as error:
        attempts.notes.append(_("agent: {error}").format(error=error))
        return False
    try:
        for key in keys:
            description = _("agent key {fingerprint}").format(fingerprint=key.fingerprint)
            if attempts.allows("publickey") and attempts.run(
                description, lambda k=key: transport.auth_publickey(user, k)
            ):
                return True
    finally:
        agent.close()
    return False


def _try_key_files(
    transport: paramiko.Transport, target: Target, credentials: Credentials, attempts: _Attempts
) -> bool:
    explicit = list(target.identity_files)
    paths = explicit or (default_identity_files() if target.auth is AuthMethod.AUTO else [])
    for path in paths:
        if not path.is_file():
            if path in explicit:
                attempts.notes.append(_("key {path}: file not found").format(path=path))
            continue
        key = _load_key(path, credentials, attempts)
        if key is None:
            continue
        description = _("key {path}").format(path=path)
        if attempts.allows("publickey") and attempts.run(
            description, lambda k=key: transport.auth_publickey(target.login, k)
        ):
            return True
    return False


def _try_vault_key(transport: paramiko.Transport, user: str, credentials: Credentials, attempts: _Attempts) -> bool:
    if not credentials.private_key:
        return False
    description = _("key from the vault")
    key = None
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key = key_class.from_private_key(io.StringIO(credentials.private_key), credentials.passphrase)
            break
        except paramiko.PasswordRequiredException:
            attempts.notes.append(_("{key}: needs its passphrase").format(key=description))
            return False
        except (paramiko.SSHException, ValueError):
            continue  # not this type, or a wrong passphrase: the next class says which
    if key is None:
        attempts.notes.append(_("{key}: unreadable or wrong passphrase").format(key=description))
        return False
    return attempts.allows("publickey") and attempts.run(description, lambda: transport.auth_publickey(user, key))


PUBLIC_KEY_STARTS = (b"ssh-", b"ecdsa-", b"sk-", b"---- BEGIN SSH2 PUBLIC KEY")


def private_key_file_problem(path: Path) -> str | None:
    """What makes `path` unusable as a private key file before any host is reached, in ssh's terms, or None. Its
    passphrase is not asked for here: the vault or --password-env gives it at the login."""
    if not path.exists():
        return _("{path}: no such file").format(path=path)
    if path.is_dir():
        return _("{path} is a folder, not a key file").format(path=path)
    try:
        head = path.read_bytes()[:64]
    except OSError as error:
        return _("{path}: {reason}").format(path=path, reason=error.strerror or error)
    if head.lstrip().startswith(PUBLIC_KEY_STARTS):
        return _("{path} is a public key: give the private key (the file without .pub)").format(path=path)
    mode = path.stat().st_mode & 0o077
    if os.name == "posix" and mode:
        # ssh refuses such a key, and so do we: anyone who can read it can log in as the engineer.
        return _(
            "Permissions {mode:04o} for {path} are too open: a private key must not be readable by others "
            "(chmod 600 {path})."
        ).format(mode=path.stat().st_mode & 0o777, path=path)
    try:
        paramiko.PKey.from_path(path, None)
    except (paramiko.PasswordRequiredException, TypeError):
        return None  # encrypted: readable once its passphrase is given
    except (paramiko.SSHException, ValueError):
        return _("{path} is not a private key SupportStation can read (OpenSSH or PEM format)").format(path=path)
    return None


def _load_key(path: Path, credentials: Credentials, attempts: _Attempts) -> paramiko.PKey | None:
    passphrase = credentials.passphrase.encode("utf-8") if credentials.passphrase else None
    try:
        try:
            return paramiko.PKey.from_path(path, passphrase)
        except TypeError:
            # cryptography's loader says "password-protected, but no password" and "password given, but not
            # encrypted" with a TypeError, not paramiko's exception. A passphrase given for the engineer's other keys
            # must not stop an unencrypted one from loading.
            if passphrase is None:
                raise paramiko.PasswordRequiredException() from None
            return paramiko.PKey.from_path(path, None)
    except paramiko.PasswordRequiredException:
        attempts.notes.append(_("key {path}: needs its passphrase").format(path=path))
    except (paramiko.SSHException, ValueError):
        # cryptography's own words point to its documentation: say what the engineer can act on instead.
        reason = _("wrong passphrase") if credentials.passphrase else _("not a private key SupportStation can read")
        attempts.notes.append(_("key {path}: {reason}").format(path=path, reason=reason))
    except OSError as error:
        attempts.notes.append(_("key {path}: {reason}").format(path=path, reason=error.strerror or error))
    return None


def _answer_with(password: str) -> Callable[[str, str, list[tuple[str, bool]]], list[str]]:
    def handler(_title: str, _instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
        # The password answers the prompts that ask for it (echo off, or worded so); anything else (a one-time code)
        # cannot be answered without the engineer and gets an empty answer, which the server refuses.
        return [
            password if (not echo or any(word in text.lower() for word in PASSWORD_PROMPT_WORDS)) else ""
            for text, echo in prompts
        ]

    return handler
