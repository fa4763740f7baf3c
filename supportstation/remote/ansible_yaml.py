"""YAML Ansible inventories, and the group_vars/ and host_vars/ folders beside any inventory file.

Read with ruamel.yaml as YAML 1.1 (what Ansible's PyYAML reads), keeping line numbers for the report. `!vault`
values become `VaultValue` (never decrypted), `!unsafe` ones their text. The model and its merging rules are in
`ansible_inventory`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from supportstation.i18n import _
from supportstation.remote.ansible_inventory import AnsibleInventory, VaultValue, expand_host_pattern
from supportstation.remote.host_sources import HostImportError, file_error

VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")


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
        hint = _("check the indentation of this line and the ones above it")
        raise file_error(path, _("not valid YAML ({hint}): {problem}").format(hint=hint, problem=problem),
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
