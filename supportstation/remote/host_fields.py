"""Host fields as people write them in forms, spreadsheets and inventories: systems ('Ubuntu 22.04', 'Windows Server
2019'), transports, tag lists, and addresses (a host name or an IP address, with a word on what was meant otherwise).
"""

from __future__ import annotations

import ipaddress
import re

from supportstation.i18n import _

# Spellings met in spreadsheets and inventories, for the families of OS_FAMILIES.
_OS_ALIASES = {
    "linux": ("linux", "ubuntu", "debian", "rhel", "red hat", "redhat", "centos", "rocky", "alma", "fedora",
              "suse", "opensuse", "sles", "alpine", "arch", "oracle linux", "proxmox", "gnu/linux"),
    "windows": ("windows", "win", "microsoft windows"),
    "macos": ("macos", "mac os", "mac", "osx", "os x", "darwin"),
    "bsd": ("bsd", "freebsd", "openbsd", "netbsd", "truenas", "pfsense", "opnsense"),
    "network": ("network", "réseau", "reseau", "switch", "router", "routeur", "firewall", "pare-feu", "ios",
                "ios-xe", "nx-os", "nxos", "junos", "eos", "fortios", "routeros", "vyos", "edgeos", "cisco ios"),
    "bmc": ("bmc", "idrac", "ilo", "ipmi", "redfish", "imm", "xcc"),
    "other": ("other", "autre"),
}  # fmt: skip
_OS_BY_ALIAS = {alias: family for family, aliases in _OS_ALIASES.items() for alias in aliases}
_TRANSPORTS = {"ssh": "ssh", "winrm": "winrm", "psrp": "winrm", "other": "other", "autre": "other"}
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def parse_os_family(text: str) -> str | None:
    """'Ubuntu 22.04' -> 'linux', 'Windows Server 2019' -> 'windows'; None when it names no known family."""
    words = text.strip().lower()
    if not words:
        return None
    if words in _OS_BY_ALIAS:
        return _OS_BY_ALIAS[words]
    # "Windows Server 2019", "Debian 12": the longest alias the text starts with.
    for alias in sorted(_OS_BY_ALIAS, key=len, reverse=True):
        if words.startswith(alias) and (len(words) == len(alias) or not words[len(alias)].isalpha()):
            return _OS_BY_ALIAS[alias]
    return None


def parse_transport(text: str) -> str | None:
    return _TRANSPORTS.get(text.strip().lower())


def split_tags(text: str) -> tuple[str, ...]:
    """'serveur, fichiers; cœur' -> ('serveur', 'fichiers', 'cœur')."""
    return tuple(part.strip() for part in re.split(r"[,;]", text) if part.strip())


def address_problem(address: str) -> str | None:
    """Why `address` is not a host name or an IP address, or None. Says how to write what was meant."""
    if "://" in address:
        return _("'{address}' is a URL: give only the host name or IP address.").format(address=address)
    if "@" in address:
        return _("'{address}' contains a user name: put the user in the login field.").format(address=address)
    if any(character.isspace() for character in address):
        return _("'{address}' contains spaces: a host name or IP address has none.").format(address=address)
    bare = address[1:-1] if address.startswith("[") and address.endswith("]") else address
    try:
        ipaddress.ip_address(bare)
        return None
    except ValueError:
        pass
    if address.count(":") == 1 and address.rsplit(":", 1)[1].isdigit():
        return _("'{address}' contains a port: put the port in the port field.").format(address=address)
    if _is_host_name(address):
        return None
    return _("'{address}' is neither a host name nor an IP address.").format(address=address)


def _is_host_name(text: str) -> bool:
    name = text[:-1] if text.endswith(".") else text
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")  # an internationalised name, as DNS sees it
        except UnicodeError:
            return False
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    # An all-numeric dotted name (999.1.1.1) is a mistyped IPv4 address, not a host name.
    if all(label.isdigit() for label in labels):
        return False
    return all(_HOST_LABEL.match(label) for label in labels)
