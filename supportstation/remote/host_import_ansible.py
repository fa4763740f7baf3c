"""Hosts from an Ansible inventory: each host with its effective connection variables, its groups as tags.

What is taken: ansible_host, ansible_port, ansible_user (and their older ansible_ssh_* spellings), the private key
file, a ProxyJump found in ansible_ssh_common_args / ansible_ssh_extra_args (-J, -o ProxyJump=, or the usual
ProxyCommand "ssh -W %h:%p jump"), ansible_connection (winrm and psrp make a WinRM host), ansible_network_os (a
network device, its vendor from the platform name) and ansible_shell_type (powershell or cmd: Windows).
Passwords in the inventory are never imported: the report says to create a credential in the vault instead.
A value that is a Jinja template cannot be known without running Ansible: the entry is refused, saying which.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from supportstation.i18n import _
from supportstation.remote.ansible_inventory import AnsibleInventory, VaultValue, looks_templated, read_ini
from supportstation.remote.ansible_yaml import read_vars_folders, read_yaml
from supportstation.remote.host_sources import ImportFormat, SourceFile, SourceHost, file_error

SECRET_VARIABLES = (
    "ansible_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
    "ansible_become_password",
    "ansible_become_pass",
    "ansible_winrm_password",
    "ansible_httpapi_password",
    "ansible_ssh_private_key_passphrase",
)
SSH_CONNECTIONS = frozenset({"ssh", "paramiko", "paramiko_ssh", "smart", "network_cli", "netconf", "libssh"})
WINRM_CONNECTIONS = frozenset({"winrm", "psrp"})
NETWORK_CONNECTIONS = frozenset({"network_cli", "netconf", "httpapi"})
# ansible_network_os (short or collection name) -> vendor.
NETWORK_VENDORS = {
    "ios": "cisco", "iosxr": "cisco", "nxos": "cisco", "asa": "cisco", "aireos": "cisco", "ftd": "cisco",
    "junos": "juniper", "eos": "arista", "fortios": "fortinet", "routeros": "mikrotik", "edgeos": "ubiquiti",
    "edgeswitch": "ubiquiti", "vyos": "vyos", "panos": "paloaltonetworks", "exos": "extreme", "slxos": "extreme",
    "voss": "extreme", "aruba": "aruba", "aoscx": "aruba", "cnos": "lenovo", "enos": "lenovo", "dellos10": "dell",
    "os10": "dell", "os9": "dell", "os6": "dell", "icx": "ruckus", "frr": "frr", "openvswitch": "openvswitch",
}  # fmt: skip


def read_ansible(path: Path, text: str, form: ImportFormat) -> SourceFile:
    inventory = read_yaml(path, text) if form is ImportFormat.ANSIBLE_YAML else read_ini(path, text)
    read_vars_folders(inventory)
    source = SourceFile(path, form, warnings=list(inventory.warnings))
    for name, host in inventory.hosts.items():
        source.hosts.append(source_host(inventory, name, host.line))
    if not inventory.hosts:
        source.warnings.append(_("The inventory has no hosts."))
    return source


def source_host(inventory: AnsibleInventory, name: str, line: int | None) -> SourceHost:
    variables = inventory.effective_vars(name)
    host = SourceHost(name, line=line)
    host.tags = tuple(group for group in inventory.host_groups(name) if group not in ("all", "ungrouped"))
    host.address = _text(host, variables, "ansible_host", "ansible_ssh_host")
    host.login_user = _text(host, variables, "ansible_user", "ansible_ssh_user")
    key_file = _text(host, variables, "ansible_ssh_private_key_file", "ansible_private_key_file")
    host.identity_files = (key_file,) if key_file else None
    _port(host, variables)
    _connection(host, variables)
    if host.transport == "winrm":
        host.identity_files = None  # ssh settings an inventory puts on a parent group mean nothing to WinRM
    else:
        _jump(host, variables)
    found = [variable for variable in SECRET_VARIABLES if variable in variables]
    if found:
        host.warnings.append(
            _("{variables}: passwords are not imported; store them as a credential in the vault.").format(
                variables=", ".join(found)
            )
        )
    return host


def _text(host: SourceHost, variables: dict[str, Any], *names: str) -> str | None:
    """The first variable set among `names` (ansible_host before ansible_ssh_host, as Ansible prefers it)."""
    for name in names:
        if name not in variables or variables[name] is None:
            continue
        value = variables[name]
        if isinstance(value, VaultValue):
            host.problems.append(_("{variable} is encrypted with Ansible Vault.").format(variable=name))
            return None
        if looks_templated(value):
            host.problems.append(
                _("{variable} is a Jinja template ({value}), which only Ansible can evaluate.").format(
                    variable=name, value=value
                )
            )
            return None
        if isinstance(value, list | dict):
            host.problems.append(_("{variable} must be a text, not a list or mapping.").format(variable=name))
            return None
        return str(value).strip() or None
    return None


def _port(host: SourceHost, variables: dict[str, Any]) -> None:
    for name in ("ansible_port", "ansible_ssh_port"):
        value = variables.get(name)
        if value is None:
            continue
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit():
            if looks_templated(value):
                host.problems.append(_("{variable} is a Jinja template ({value}), which only Ansible can "
                                       "evaluate.").format(variable=name, value=value))  # fmt: skip
            else:
                host.problems.append(_("{variable} is not a port number: {value}").format(variable=name, value=value))
            return
        host.port = int(text)
        return


def _connection(host: SourceHost, variables: dict[str, Any]) -> None:
    connection = str(variables.get("ansible_connection") or "").strip().lower().rsplit(".", 1)[-1]
    if connection in WINRM_CONNECTIONS:
        host.transport, host.os_family = "winrm", "windows"
        if connection == "psrp":
            host.warnings.append(_("ansible_connection psrp: imported as a WinRM host."))
    elif connection == "local":
        host.problems.append(_("ansible_connection local: Ansible runs this one on its own machine; there is "
                               "nothing to connect to."))  # fmt: skip
    elif connection and connection not in SSH_CONNECTIONS and connection not in NETWORK_CONNECTIONS:
        host.problems.append(
            _("ansible_connection {connection} is not supported: SupportStation connects over SSH or WinRM.").format(
                connection=connection
            )
        )
    elif connection:
        host.transport = "ssh"
    if connection == "httpapi":
        host.transport = "other"
    network_os = str(variables.get("ansible_network_os") or "").strip().lower()
    if network_os or connection in NETWORK_CONNECTIONS:
        host.os_family = "network"
        platform = network_os.rsplit(".", 1)[-1]
        if platform in NETWORK_VENDORS:
            host.vendor = NETWORK_VENDORS[platform]
    shell = str(variables.get("ansible_shell_type") or "").strip().lower()
    if shell in ("powershell", "cmd") and host.os_family is None:
        host.os_family = "windows"


def _jump(host: SourceHost, variables: dict[str, Any]) -> None:
    arguments = " ".join(
        str(variables[name]) for name in ("ansible_ssh_common_args", "ansible_ssh_extra_args") if variables.get(name)
    )
    if not arguments:
        return
    try:
        words = shlex.split(arguments)
    except ValueError:
        host.warnings.append(_("ansible_ssh_common_args could not be read: {value}").format(value=arguments))
        return
    for index, word in enumerate(words):
        option = words[index + 1] if word == "-o" and index + 1 < len(words) else word.removeprefix("-o")
        if word == "-J" and index + 1 < len(words):
            host.proxy_jump = words[index + 1]
        elif option.lower().startswith(("proxyjump=", "proxyjump ")):
            host.proxy_jump = option.split("=", 1)[1] if "=" in option else option.split(None, 1)[1]
        elif option.lower().startswith(("proxycommand=", "proxycommand ")):
            command = option.split("=", 1)[1] if "=" in option else option.split(None, 1)[1]
            jump = _jump_from_proxy_command(command)
            if jump is None:
                host.warnings.append(_("ProxyCommand not imported (only 'ssh -W %h:%p HOST' is): {command}").format(
                    command=command))  # fmt: skip
            else:
                host.proxy_jump = jump


def _jump_from_proxy_command(command: str) -> str | None:
    """'ssh -W %h:%p -q admin@bastion -p 2222' -> 'admin@bastion:2222'; None for any other command."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or Path(words[0]).name != "ssh" or "-W" not in words:
        return None
    destination, port, user = None, None, None
    takes_value = set("BbcDEeFIiJLlmOoPpQRSWw")
    position = 1
    while position < len(words):
        word = words[position]
        if word.startswith("-") and len(word) == 2 and word[1] in takes_value and position + 1 < len(words):
            if word == "-p":
                port = words[position + 1]
            elif word == "-l":
                user = words[position + 1]
            position += 2
            continue
        if not word.startswith("-") and destination is None:
            destination = word
        position += 1
    if destination is None:
        return None
    if user and "@" not in destination:
        destination = f"{user}@{destination}"
    return f"{destination}:{port}" if port else destination


def read_ansible_file(path: Path, text: str) -> SourceFile:
    """INI or YAML, decided as Ansible decides: by extension first, then by what the text looks like."""
    return read_ansible(path, text, ansible_flavour(path, text))


def ansible_flavour(path: Path, text: str) -> ImportFormat:
    if path.suffix.lower() in (".yml", ".yaml", ".json"):
        return ImportFormat.ANSIBLE_YAML
    if path.suffix.lower() in (".ini", ".cfg", ".hosts"):
        return ImportFormat.ANSIBLE_INI
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") or "=" in line.split("#")[0]:
            return ImportFormat.ANSIBLE_INI
        if line == "---" or line.endswith(":") or line.startswith("{"):
            return ImportFormat.ANSIBLE_YAML
        return ImportFormat.ANSIBLE_INI
    raise file_error(path, _("the file is empty"))
