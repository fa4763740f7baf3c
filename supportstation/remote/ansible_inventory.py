"""Static Ansible inventories (INI and YAML) read as ansible-core 2.19 reads them, without Ansible.

    inventory = read_inventory(Path("inventories/prod/hosts.ini"))
    inventory.host_groups("web01")        # ['all', 'prod', 'web']: direct groups and their ancestors
    inventory.effective_vars("web01")     # what `ansible-inventory --list` shows in _meta.hostvars

Followed from ansible's ini and yaml inventory plugins and its VariableManager: `[g:children]` declared before or
after the child, `[g:vars]`, inline host variables parsed with `ast.literal_eval`, `host:port`, ranges such as
`web[01:03]` or `db-[a:c]`, the implicit `all` and `ungrouped` groups, and the group_vars/ and host_vars/ folders
next to the file. Variables merge as Ansible merges them: `all`, then the host's groups by depth, priority
(`ansible_group_priority`) and name, then group_vars/all, the other group_vars, the host's own variables, then
host_vars. Values are never templated (neither does `ansible-inventory --list`).

Where ansible only warns, this reader is stricter in one place: a YAML mapping with a duplicate key is an error
(ansible keeps the last value), since an inventory that says two things about a host should be fixed, not guessed.
"""

from __future__ import annotations

import ast
import re
import string
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportstation.i18n import _
from supportstation.remote.host_sources import HostImportError, file_error

VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")
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


# -- YAML ---------------------------------------------------------------------------------------------------------


def load_yaml(path: Path, text: str) -> Any:
    """The document with ruamel's line information kept; YAML 1.1, as Ansible (PyYAML) reads it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    loader = YAML(typ="rt")
    loader.version = (1, 1)
    try:
        return loader.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(part for part in (error.context, error.problem) if part) or str(error)
        raise file_error(path, _("not valid YAML: {problem}").format(problem=problem),
                         mark.line + 1 if mark else None) from error  # fmt: skip
    except YAMLError as error:
        raise file_error(path, _("not valid YAML: {problem}").format(problem=error)) from error


def plain(value: Any) -> Any:
    """ruamel's round-trip objects as plain Python values; !vault becomes a VaultValue, !unsafe its text."""
    from ruamel.yaml.comments import TaggedScalar

    if isinstance(value, TaggedScalar):
        tag = str(value.tag.value if hasattr(value.tag, "value") else value.tag)
        return VaultValue() if tag == "!vault" else str(value.value)
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def _key_line(mapping: Any, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def read_yaml(path: Path, text: str) -> AnsibleInventory:
    data = load_yaml(path, text)
    if not data:
        raise file_error(path, _("the YAML file is empty"))
    if not isinstance(data, dict):
        raise file_error(path, _("a YAML inventory is a mapping of groups, not a {kind}").format(
            kind=type(data).__name__))  # fmt: skip
    if data.get("plugin"):
        raise file_error(path, _("this configures the inventory plugin {plugin}, which queries another system: "
                                 "import its output (ansible-inventory --list -y) instead").format(
            plugin=data.get("plugin")))  # fmt: skip
    inventory = AnsibleInventory(path)
    for name in data:
        _yaml_group(inventory, name, data[name], _key_line(data, name))
    inventory.reconcile()
    return inventory


def _yaml_group(inventory: AnsibleInventory, name: Any, body: Any, line: int | None) -> str | None:
    path = inventory.path
    if not isinstance(name, str) or not name:
        raise file_error(path, _("the group name {name} must be a text").format(name=name), line)
    if body is not None and not isinstance(body, dict):
        inventory.warnings.append(
            _("Line {line}: {group} skipped: a group is a mapping of hosts, vars and children.").format(
                line=line, group=name
            )
        )
        return None
    inventory.add_group(name, line)
    if body is None:
        return name
    for section in ("vars", "children", "hosts"):
        value = body.get(section)
        if isinstance(value, str):
            body[section] = {value: None}
        elif value is not None and not isinstance(value, dict):
            raise file_error(path, _('the "{section}" of the group {group} must be a mapping, not a {kind}').format(
                section=section, group=name, kind=type(value).__name__), _key_line(body, section))  # fmt: skip
    for key, value in body.items():
        key_line = _key_line(body, key)
        if value is None:
            continue
        if not isinstance(value, dict):
            inventory.warnings.append(_("Line {line}: {key} in the group {group} skipped: not a mapping.").format(
                line=key_line, key=key, group=name))  # fmt: skip
        elif key == "vars":
            for variable, item in value.items():
                inventory.set_group_variable(name, str(variable), plain(item), _key_line(value, variable))
        elif key == "children":
            for child, child_body in value.items():
                child_line = _key_line(value, child)
                added = _yaml_group(inventory, child, child_body, child_line)
                if added is None:
                    raise file_error(path, _("the child group {group} is not defined").format(group=child), child_line)
                inventory.add_child(name, added, child_line)
        elif key == "hosts":
            _yaml_hosts(inventory, name, value)
        else:
            inventory.warnings.append(
                _('Line {line}: {key} in the group {group} skipped: only "vars", "children" and "hosts" are '
                  "read.").format(line=key_line, key=key, group=name))  # fmt: skip
    return name


def _yaml_hosts(inventory: AnsibleInventory, group: str, hosts: dict[Any, Any]) -> None:
    path = inventory.path
    for pattern, variables in hosts.items():
        line = _key_line(hosts, pattern)
        if not isinstance(pattern, str):
            problem = _("the host name {name} must be a text: put it in quotes").format(name=pattern)
            raise file_error(path, problem, line)
        if variables is not None and not isinstance(variables, dict):
            raise file_error(path, _("the host {host} must be followed by a mapping of variables, not a {kind}").format(
                host=pattern, kind=type(variables).__name__), line)  # fmt: skip
        try:
            names, port = expand_host_pattern(pattern)
        except ValueError as error:
            raise file_error(path, _("host pattern {pattern}: {reason}").format(pattern=pattern, reason=error),
                             line) from error  # fmt: skip
        values = {str(key): plain(value) for key, value in (variables or {}).items()}
        for name in names:
            inventory.add_host(name, group, port, values, line)


# -- group_vars/ and host_vars/ -----------------------------------------------------------------------------------


def read_vars_folders(inventory: AnsibleInventory) -> None:
    """The group_vars/ and host_vars/ next to the inventory file, found as ansible's host_group_vars finds them."""
    base = inventory.path.parent
    for name in inventory.groups:
        found = _vars_for(inventory, base / "group_vars", name)
        if found:
            inventory.group_file_vars[name] = found
    for name in inventory.hosts:
        found = _vars_for(inventory, base / "host_vars", name)
        if found:
            inventory.host_file_vars[name] = found


def _vars_for(inventory: AnsibleInventory, folder: Path, name: str) -> dict[str, Any]:
    if not folder.is_dir() or "/" in name or "\\" in name or name.startswith("."):
        return {}
    merged: dict[str, Any] = {}
    for path in _vars_files(folder, name):
        merged.update(_vars_file(inventory, path))
    return merged


def _vars_files(folder: Path, name: str) -> Iterator[Path]:
    # The first of NAME, NAME.yml, NAME.yaml, NAME.json that exists; a folder is read whole, in name order.
    for extension in VARS_EXTENSIONS:
        candidate = folder / f"{name}{extension}"
        if candidate.is_dir():
            yield from _folder_files(candidate)
            return
        if candidate.is_file():
            yield candidate
            return


def _folder_files(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            yield from _folder_files(entry)
        elif entry.is_file() and entry.suffix in VARS_EXTENSIONS:
            yield entry


def _vars_file(inventory: AnsibleInventory, path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise HostImportError(_("Cannot read {path}: {reason}").format(path=path, reason=reason), path) from error
    relative = path.relative_to(inventory.path.parent)
    if text.startswith("$ANSIBLE_VAULT"):
        inventory.warnings.append(
            _("{file} is encrypted with Ansible Vault: its variables were not read.").format(file=relative)
        )
        return {}
    data = load_yaml(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise file_error(path, _("a variables file is a mapping of names to values"))
    return {str(key): plain(value) for key, value in data.items()}
