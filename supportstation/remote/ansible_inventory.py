"""Static Ansible inventories (INI and YAML) read as ansible-core 2.19 reads them, without Ansible.

    inventory = read_ini(path, path.read_text())    # or ansible_yaml.read_yaml, then read_vars_folders
    inventory.host_groups("web01")        # ['all', 'prod', 'web']: direct groups and their ancestors
    inventory.effective_vars("web01")     # what `ansible-inventory --list` shows in _meta.hostvars

Followed from ansible's ini and yaml inventory plugins and its VariableManager: `[g:children]` declared before or
after the child, `[g:vars]`, inline host variables parsed with `ast.literal_eval`, `host:port`, ranges such as
`web[01:03]` or `db-[a:c]`, the implicit `all` and `ungrouped` groups, and the group_vars/ and host_vars/ folders
next to the file. Variables merge as Ansible merges them: `all`, then the host's groups by depth, priority
(`ansible_group_priority`) and name, then group_vars/all, the other group_vars, the host's own variables, then
host_vars. Values are never templated (neither does `ansible-inventory --list`).

This reader is stricter than ansible in two places, where ansible silently guesses: a YAML mapping with a duplicate
key is an error (ansible keeps the last value), and so is a numeric range that expands to nothing (web[3:1]).
"""

from __future__ import annotations

import ast
import re
import string
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportstation.i18n import _
from supportstation.remote.host_sources import file_error

MAX_RANGE_HOSTS = 100_000  # web[1:99999999] would otherwise fill the memory


@dataclass(frozen=True)
class VaultValue:
    """A value encrypted with Ansible Vault: SupportStation cannot (and must not) read it."""

    def __str__(self) -> str:
        return "!vault"


@dataclass
class AnsibleGroup:
    name: str
    line: int | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # direct members, in file order
    priority: int = 1


@dataclass
class AnsibleHost:
    name: str
    line: int | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)  # direct groups


@dataclass
class AnsibleInventory:
    path: Path
    groups: dict[str, AnsibleGroup] = field(default_factory=dict)
    hosts: dict[str, AnsibleHost] = field(default_factory=dict)
    group_file_vars: dict[str, dict[str, Any]] = field(default_factory=dict)  # group_vars/
    host_file_vars: dict[str, dict[str, Any]] = field(default_factory=dict)  # host_vars/
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.add_group("all")
        self.add_group("ungrouped")
        self.add_child("all", "ungrouped", None)

    # -- building ---------------------------------------------------------------------------------------------------

    def add_group(self, name: str, line: int | None = None) -> AnsibleGroup:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = AnsibleGroup(name, line)
        return group

    def add_host(self, name: str, group: str, port: int | None, variables: dict[str, Any], line: int | None) -> None:
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = AnsibleHost(name, line)
            if port:  # as ansible does: a port given where the host is seen again is ignored
                host.vars["ansible_port"] = port
        if group not in host.groups:
            host.groups.append(group)
            self.groups[group].hosts.append(name)
        host.vars.update(variables)

    def set_group_variable(self, group: str, key: str, value: Any, line: int | None) -> None:
        if key == "ansible_group_priority":
            try:
                self.groups[group].priority = int(value)
            except (TypeError, ValueError):
                raise file_error(
                    self.path, _("ansible_group_priority must be a whole number, not {value}").format(value=value), line
                ) from None
        self.groups[group].vars[key] = value

    def add_child(self, parent: str, child: str, line: int | None) -> None:
        if parent == child:
            raise file_error(self.path, _("the group {group} cannot contain itself").format(group=parent), line)
        if child in self.ancestors(parent):
            raise file_error(
                self.path,
                _("making {child} a child of {parent} creates a loop between groups").format(
                    child=child, parent=parent
                ),
                line,
            )
        if child not in self.groups[parent].children:
            self.groups[parent].children.append(child)
            self.groups[child].parents.append(parent)

    def reconcile(self) -> None:
        """Ansible's own rules, applied once the file is read: every group hangs from `all`, and a host is in
        `ungrouped` exactly when it is in no other group."""
        for group in list(self.groups.values()):
            if group.name != "all" and not group.parents:
                self.add_child("all", group.name, group.line)
        ungrouped = self.groups["ungrouped"]
        for host in self.hosts.values():
            others = set(self.host_groups(host.name)) - {"all", "ungrouped"}
            if others and "ungrouped" in host.groups:
                host.groups.remove("ungrouped")
                ungrouped.hosts.remove(host.name)
            elif not others and "ungrouped" not in host.groups:
                host.groups.append("ungrouped")
                ungrouped.hosts.append(host.name)

    # -- reading ----------------------------------------------------------------------------------------------------

    def ancestors(self, group: str) -> set[str]:
        found: set[str] = set()
        pending = list(self.groups[group].parents)
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending.extend(self.groups[name].parents)
        return found

    def depth(self, group: str) -> int:
        """The longest chain of parents up to `all` (ansible's Group.depth)."""
        parents = self.groups[group].parents
        return 1 + max(self.depth(parent) for parent in parents) if parents else 0

    def host_groups(self, host: str) -> list[str]:
        """Every group the host belongs to, directly or through children, in ansible's order of precedence."""
        names: set[str] = set()
        for group in self.hosts[host].groups:
            names.add(group)
            names |= self.ancestors(group)
        return self.sorted_groups(names)

    def sorted_groups(self, names: set[str]) -> list[str]:
        return sorted(names, key=lambda name: (self.depth(name), self.groups[name].priority, name))

    def effective_vars(self, host: str) -> dict[str, Any]:
        groups = [name for name in self.host_groups(host) if name != "all"]
        merged: dict[str, Any] = dict(self.groups["all"].vars)
        for name in groups:
            merged.update(self.groups[name].vars)
        merged.update(self.group_file_vars.get("all", {}))
        for name in groups:
            merged.update(self.group_file_vars.get(name, {}))
        merged.update(self.hosts[host].vars)
        merged.update(self.host_file_vars.get(host, {}))
        return merged


def looks_templated(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


# -- host patterns ------------------------------------------------------------------------------------------------

_BRACKETED_HOST_PORT = re.compile(r"^\[(.+)\]:([0-9]+)$")
_HOST_PORT = re.compile(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")
_RANGE_PART = r"(?:\[[^\]]*\])"
_HOST_PATTERN = re.compile(rf"^(?:[\w-]|{_RANGE_PART})+(?:\.(?:[\w-]|{_RANGE_PART})+)*$", re.UNICODE)
_ADDRESS_PATTERN = re.compile(rf"^(?:[0-9a-fA-F:.]|{_RANGE_PART})+$")


def expand_host_pattern(pattern: str) -> tuple[list[str], int | None]:
    """'web[01:03].lan:2222' -> (['web01.lan', 'web02.lan', 'web03.lan'], 2222). Raises ValueError."""
    address, port = pattern, None
    for matcher in (_BRACKETED_HOST_PORT, _HOST_PORT):
        found = matcher.match(address)
        if found:
            address, port = found.group(1), int(found.group(2))
    if not (_HOST_PATTERN.match(address) or _ADDRESS_PATTERN.match(address)):
        # ansible then takes the whole pattern as the name, with no port.
        address, port = pattern, None
    names = expand_ranges(address) if "[" in address else [address]
    return names, port


def expand_ranges(pattern: str) -> list[str]:
    """ansible's expand_hostname_range: [01:10], [a:f], [1:10:2], several ranges in one name."""
    head, bounds_text, tail = pattern.replace("[", "|", 1).replace("]", "|", 1).split("|")
    bounds = bounds_text.split(":")
    if len(bounds) not in (2, 3):
        raise ValueError(_("a host range is written [begin:end] or [begin:end:step]"))
    begin, end = bounds[0] or "0", bounds[1]
    step = int(bounds[2]) if len(bounds) == 3 else 1
    if not end:
        raise ValueError(_("a host range needs an end"))
    width = len(begin) if begin[0] == "0" and len(begin) > 1 else 0
    if width and width != len(end):
        raise ValueError(_("the beginning and end of a host range must have as many digits"))
    if step < 1:
        raise ValueError(_("the step of a host range must be at least 1"))
    sequence: list[str]
    if begin in string.ascii_letters and end in string.ascii_letters:
        first, last = string.ascii_letters.index(begin), string.ascii_letters.index(end)
        if first > last:
            raise ValueError(_("a host range must go from the smaller to the larger"))
        sequence = list(string.ascii_letters[first : last + 1 : step])
    else:
        numbers = range(int(begin), int(end) + 1, step)
        if not numbers:
            # ansible expands this to no host at all, silently; a typo is likelier than an intent.
            raise ValueError(_("a host range must go from the smaller to the larger"))
        if len(numbers) > MAX_RANGE_HOSTS:
            raise ValueError(_("the host range {range} is too large").format(range=f"[{bounds_text}]"))
        sequence = [str(number).zfill(width) for number in numbers]
    names: list[str] = []
    for item in sequence:
        name = f"{head}{item}{tail}"
        names.extend(expand_ranges(name) if "[" in name else [name])
    return names


# -- INI ----------------------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
_GROUP_NAME = re.compile(r"^([^:\]\s]+)\s*(?:#.*)?$")


def parse_ini_value(text: str) -> Any:
    """ansible's ini _parse_value: a Python literal when the text is one (22, 'x', [1, 2], True), else the text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if value is ... or isinstance(value, complex | bytes):
        return text if not isinstance(value, bytes) else value.decode("utf-8", "replace")
    return value


@dataclass
class _Pending:
    line: int
    state: str
    parents: list[str] = field(default_factory=list)


def read_ini(path: Path, text: str) -> AnsibleInventory:
    """Raises HostImportError naming the line, as ansible refuses the whole file on any error."""
    inventory = AnsibleInventory(path)
    pending: dict[str, _Pending] = {}
    group, state = "ungrouped", "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        section = _SECTION.match(line)
        if section:
            group, state = section.group(1), section.group(2) or "hosts"
            if state not in ("hosts", "children", "vars"):
                raise file_error(path, _("the section [{title}] has an unknown type: {state}").format(
                    title=f"{group}:{state}", state=state), number)  # fmt: skip
            if group not in inventory.groups:
                if state == "vars" and group not in pending:
                    pending[group] = _Pending(number, "vars")
                inventory.add_group(group, number)
            if group in pending and state != "vars":
                _declare(inventory, group, pending)
            continue
        if line.startswith("[") and line.endswith("]"):
            problem = _("invalid section '{line}': a section name has no spaces").format(line=line)
            raise file_error(path, problem, number)
        if state == "hosts":
            _ini_host_line(inventory, group, line, number)
        elif state == "vars":
            if "=" not in line:
                raise file_error(path, _("expected name=value, found: {line}").format(line=line), number)
            key, value = (part.strip() for part in line.split("=", 1))
            inventory.set_group_variable(group, key, parse_ini_value(value), number)
        else:
            found = _GROUP_NAME.match(line)
            if found is None:
                raise file_error(path, _("expected a group name, found: {line}").format(line=line), number)
            child = found.group(1)
            if child in inventory.groups:
                inventory.add_child(group, child, number)
            else:
                pending.setdefault(child, _Pending(number, "children")).parents.append(group)
    for name, declaration in pending.items():
        if declaration.state == "vars":
            problem = _("the section [{group}:vars] is for a group defined nowhere").format(group=name)
        else:
            problem = _("the section [{parent}:children] names the group {group}, defined nowhere").format(
                parent=declaration.parents[-1], group=name
            )
        raise file_error(path, problem, declaration.line)
    inventory.reconcile()
    return inventory


def _declare(inventory: AnsibleInventory, group: str, pending: dict[str, _Pending]) -> None:
    """A group named earlier in a [parent:children] section is now declared: link it to those parents."""
    declaration = pending.pop(group)
    for parent in declaration.parents:
        inventory.add_child(parent, group, declaration.line)
        if parent in pending and pending[parent].state == "children":
            _declare(inventory, parent, pending)


def _ini_host_line(inventory: AnsibleInventory, group: str, line: str, number: int) -> None:
    import shlex

    path = inventory.path
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as error:
        raise file_error(path, _("cannot read the host line '{line}': {reason}").format(line=line, reason=error),
                         number) from error  # fmt: skip
    if not tokens:
        return
    pattern = tokens[0]
    if pattern.strip() == "---":
        raise file_error(path, _("'---' starts a YAML document: is this a YAML inventory?"), number)
    try:
        names, port = expand_host_pattern(pattern)
    except ValueError as error:
        raise file_error(path, _("host pattern {pattern}: {reason}").format(pattern=pattern, reason=error),
                         number) from error  # fmt: skip
    if pattern.endswith(":") and port is None:
        raise file_error(path, _("the host pattern {pattern} ends with ':' but gives no port").format(
            pattern=pattern), number)  # fmt: skip
    variables: dict[str, Any] = {}
    for token in tokens[1:]:
        if "=" not in token:
            raise file_error(path, _("expected name=value after the host, found: {token}").format(token=token), number)
        key, value = token.split("=", 1)
        variables[key] = parse_ini_value(value)
    for name in names:
        inventory.add_host(name, group, port, variables, number)
