"""Where a command goes: a host, how to log in there, and the jump hosts on the way.

A `Target` describes; it holds no secret. Passwords and passphrases come separately as `Credentials`, from the vault
or, on the command line, from an environment variable, so a target can be shown, logged and stored freely.
"""

from __future__ import annotations

import enum
import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from supportstation.i18n import _

DEFAULT_SSH_PORT = 22
WINRM_HTTPS_PORT = 5986
WINRM_HTTP_PORT = 5985


class AuthMethod(enum.StrEnum):
    AUTO = "auto"  # agent, then key files, then password, then keyboard-interactive: what ssh tries
    KEY = "key"
    AGENT = "agent"
    PASSWORD = "password"
    KEYBOARD_INTERACTIVE = "keyboard-interactive"


class WinrmShell(enum.StrEnum):
    POWERSHELL = "powershell"
    CMD = "cmd"


@dataclass(frozen=True)
class WinrmOptions:
    """How to reach a Windows host over WinRM. No secret here either: the password comes as `Credentials`."""

    https: bool = True
    auth: str = "ntlm"  # ntlm, kerberos, credssp or basic (HTTPS only)
    shell: WinrmShell = WinrmShell.POWERSHELL  # what an ad-hoc command is written in
    ca_file: Path | None = None  # a CA to verify the certificate with, instead of the system's
    cert_fingerprint: str = ""  # a certificate pinned by its SHA-256, from the command line


@dataclass(frozen=True)
class DeviceOptions:
    """How to reach gear through a plugin's transport (a switch's CLI, a BMC's Redfish): the transport's name, the
    language of its commands, and the host's options for it. No secret here either."""

    transport: str
    language: str
    options: tuple[tuple[str, str], ...] = ()


class TargetError(ValueError):
    """A target written in a way that names no host (bad URL, port out of range, broken ssh_config)."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int = DEFAULT_SSH_PORT
    user: str = ""  # empty: the local user name, as ssh does
    auth: AuthMethod = AuthMethod.AUTO
    identity_files: tuple[Path, ...] = ()
    credential_key: str | None = None  # the vault key of the password or of the key's passphrase
    jump: tuple[Target, ...] = ()  # ProxyJump chain, first hop first
    name: str = ""  # the inventory name or ssh_config alias the engineer used
    host_id: int | None = field(default=None, compare=False)
    winrm: WinrmOptions | None = None  # set for a Windows host reached over WinRM instead of SSH
    device: DeviceOptions | None = None  # set for gear reached through a plugin's transport

    @property
    def transport(self) -> str:
        if self.device is not None:
            return self.device.transport
        return "winrm" if self.winrm is not None else "ssh"

    @property
    def shell(self) -> str:
        """The language of the commands this target runs: sh over SSH, PowerShell or cmd over WinRM, or the
        language of a plugin's transport ("ios")."""
        if self.device is not None:
            return self.device.language
        return self.winrm.shell.value if self.winrm is not None else "sh"

    @property
    def shells(self) -> tuple[str, ...]:
        """The languages this target can run, the one it prefers first."""
        if self.device is not None:
            return (self.device.language,)
        if self.winrm is None:
            return ("sh",)
        other = WinrmShell.CMD if self.winrm.shell is WinrmShell.POWERSHELL else WinrmShell.POWERSHELL
        return (self.winrm.shell.value, other.value)

    @property
    def login(self) -> str:
        return self.user or local_user()

    @property
    def address(self) -> str:
        """`host:port`, an IPv6 address in brackets: `[::1]:22`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.device is not None:
            return f"{self.device.transport}://{self.login}@{host}:{self.port}"
        if self.winrm is not None:
            scheme = "winrm+https" if self.winrm.https else "winrm+http"
            return f"{scheme}://{self.login}@{host}:{self.port}"
        return f"ssh://{self.login}@{host}:{self.port}"

    @property
    def wsman_url(self) -> str:
        """The WS-Management endpoint of a WinRM target, as pywinrm takes it."""
        scheme = "https" if self.winrm is None or self.winrm.https else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/wsman"

    @property
    def label(self) -> str:
        """What the engineer calls it: the inventory name when there is one."""
        return self.name or self.url

    def connection_key(self) -> tuple[object, ...]:
        """Runs to the same key share one SSH connection. The way of logging in is part of it: a target that names
        a wrong password must not succeed on another target's key-based connection to the same account."""
        return (
            self.host.lower(),
            self.port,
            self.login,
            self.auth,
            self.identity_files,
            self.credential_key,
            tuple(hop.connection_key() for hop in self.jump),
            self.winrm,
            self.device,
        )


@dataclass(frozen=True)
class Credentials:
    """Secrets for one login. `repr` never shows them."""

    password: str | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)  # a key kept in the vault (OpenSSH or PEM text)
    enable_secret: str | None = field(default=None, repr=False)  # a network device's privileged-mode secret

    def secrets(self) -> list[str]:
        return [value for value in (self.password, self.passphrase, self.private_key, self.enable_secret) if value]


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "root"


_HOST_PORT = re.compile(
    r"^(?:(?P<user>[^@/]+)@)?(?:\[(?P<v6>[0-9A-Fa-f:.%]+)\]|(?P<host>[^:/@\[\]]+))(?::(?P<port>\d+))?$"
)


_WINRM_SCHEMES = {"winrm+https": True, "winrm+http": False}


def parse_target(text: str, *, default_user: str = "") -> Target:
    """`ssh://user@host:port`, `user@host:port`, `host`, `[2001:db8::1]:2222`, `winrm+https://user@host:5986`,
    `winrm+http://user@host`: a Target, or TargetError."""
    raw = text.strip()
    winrm: WinrmOptions | None = None
    if "://" in raw:
        scheme, raw = raw.split("://", 1)
        raw = raw.split("/", 1)[0]  # a /wsman path is the only one there is
        if scheme.lower() in _WINRM_SCHEMES:
            winrm = WinrmOptions(https=_WINRM_SCHEMES[scheme.lower()])
        elif scheme.lower() != "ssh":
            raise TargetError(
                _(
                    "{text}: the scheme {scheme}:// is not supported; use ssh://, winrm+https:// or winrm+http://"
                ).format(text=text, scheme=scheme)
            )
    match = _HOST_PORT.match(raw)
    if not raw or match is None:
        raise TargetError(
            _("{text} is not a target: write ssh://user@host:port or the name of a host.").format(text=text)
        )
    port = int(match["port"]) if match["port"] else default_port(winrm)
    if not 0 < port < 65536:
        raise TargetError(_("{text}: the port must be between 1 and 65535.").format(text=text))
    user = unquote(match["user"]) if match["user"] else default_user
    host = match["v6"] or match["host"]
    return Target(host=host, port=port, user=user, winrm=winrm)


def default_port(winrm: WinrmOptions | None) -> int:
    if winrm is None:
        return DEFAULT_SSH_PORT
    return WINRM_HTTPS_PORT if winrm.https else WINRM_HTTP_PORT


def parse_jump_chain(text: str) -> tuple[Target, ...]:
    """A ProxyJump value: `user@jump:2222,other`; `none` means no jump."""
    if text.strip().lower() in ("", "none"):
        return ()
    return tuple(parse_target(hop) for hop in text.split(","))
