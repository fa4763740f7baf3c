"""Hosts from an OpenSSH client configuration: every Host block without wildcards, as `ssh ALIAS` would reach it.

The values are those `ssh_config.lookup` computes (Host * defaults, Match blocks and Include files applied, tokens
expanded). ProxyJump hops that are themselves aliases of the file are written out (user@host:port), so the jump
still works once the file is gone.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from supportstation.i18n import _
from supportstation.remote import ssh_config
from supportstation.remote.host_sources import HostImportError, ImportFormat, SourceFile, SourceHost
from supportstation.remote.ssh_config import SshConfigError, SshConfigHost

DEFAULT_PORT = 22


def read_ssh_config(path: Path) -> SourceFile:
    try:
        aliases = ssh_config.list_aliases(path)
    except SshConfigError as error:
        raise HostImportError(str(error), error.path, error.line) from error
    source = SourceFile(path, ImportFormat.SSH_CONFIG)
    lines = _host_lines(path)
    for alias in aliases:
        host = SourceHost(alias, line=lines.get(alias))
        try:
            entry = ssh_config.lookup(alias, path)
        except SshConfigError as error:
            host.problems.append(str(error))
            source.hosts.append(host)
            continue
        host.address = entry.hostname
        host.port = entry.port  # ssh's answer, 22 included: the host is reached there, whatever it was before
        host.login_user = entry.user
        host.identity_files = tuple(str(file) for file in entry.identity_files)
        host.proxy_jump = _jump_chain(entry, path, host)
        source.hosts.append(host)
    if not aliases:
        source.warnings.append(_("No Host block without wildcards: there is no host to import."))
    return source


def _jump_chain(entry: SshConfigHost, path: Path, host: SourceHost) -> str | None:
    if not entry.proxy_jump:
        return None
    hops = []
    for hop in entry.proxy_jump:
        if "@" in hop or ":" in hop:
            hops.append(hop)
            continue
        try:
            jump = ssh_config.lookup(hop, path)
        except SshConfigError as error:
            host.warnings.append(_("Jump host {hop} kept as written: {reason}").format(hop=hop, reason=error))
            hops.append(hop)
            continue
        written = (f"{jump.user}@" if jump.user else "") + _bracketed(jump.hostname)
        hops.append(written + (f":{jump.port}" if jump.port != DEFAULT_PORT else ""))
        if jump.proxy_jump:
            # ssh would go through the hop's own jump first; a flat list of hops is what Target.jump holds.
            host.warnings.append(_("The jump host {hop} has its own ProxyJump, which is not followed.").format(hop=hop))
    return ",".join(hops)


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


def _host_lines(path: Path) -> dict[str, int]:
    """The line of each alias's first Host line in the file itself (hosts from Include files have none)."""
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.lower().startswith("host"):
            continue
        try:
            words = shlex.split(stripped.replace("=", " ", 1), comments=True)
        except ValueError:
            continue  # ssh_config.list_aliases has accepted the file: an odd line here only loses its number
        if len(words) >= 2 and words[0].lower() == "host":
            for pattern in words[1:]:
                lines.setdefault(pattern, number)
    return lines
