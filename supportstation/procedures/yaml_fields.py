"""Fields of a round-trip YAML document changed in place: a value set where a path points (the mappings on the way
created, a key the form adds put where the format's documentation puts it), a bilingual text set in one language, a key
renamed; the quotes, comments and key order the engineer wrote are kept.

Paths address a value from the document's top: `("steps", 2, "run", "timeout")`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString, ScalarString

from supportstation.procedures.model import STEP_KINDS

Key = str | int
Path = tuple[Key, ...]
LANGUAGES = ("fr", "en")

# Where a key the form adds goes among its siblings: "#" stands for a list index, "*" for any mapping key.
_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {
    (): ("id", "version", "title", "description", "tags", "applies_to", "parameters", "steps"),
    ("applies_to",): ("os", "vendor"),
    ("parameters", "#"): ("name", "type", "label", "default", "required", "pattern", "choices", "raw"),
    ("steps", "#"): ("id", "title", "when", *STEP_KINDS),
    ("steps", "#", "run"): ("sh", "powershell", "cmd", "hosts", "timeout", "sudo", "expect", "on_failure", "capture"),
    ("steps", "#", "run", "expect"): (
        "exit_codes",
        "stdout_matches",
        "stdout_not_matches",
        "stderr_matches",
        "stderr_not_matches",
        "json",
    ),
    ("steps", "#", "run", "capture", "*"): ("regex", "json", "group", "stream"),
    ("steps", "#", "prompt"): ("variable", "question", "pattern", "secret"),
    ("steps", "#", "confirm"): ("text", "by"),
    ("steps", "#", "action"): ("id", "hosts", "arguments"),
    ("steps", "#", "transfer"): ("direction", "remote", "local", "hosts"),
}
# Mappings the form removes once their last key goes: an empty `expect: {}` says nothing.
_PRUNED = {
    ("applies_to",),
    ("steps", "#", "run", "expect"),
    ("steps", "#", "run", "capture"),
    ("steps", "#", "action", "arguments"),
}
_SHORT_TEXT = 60  # a bilingual text this short is written on one line: {fr: …, en: …}


class EditingError(ValueError):
    """A change the document's current shape does not allow (a `steps:` that is not a list, say)."""


def get(data: Any, path: Sequence[Key], default: Any = None) -> Any:
    node = data
    for key in path:
        if (isinstance(node, dict) and isinstance(key, str) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        ):
            node = node[key]
        else:
            return default
    return node


def _shape(path: Sequence[Key]) -> tuple[str, ...]:
    return tuple("#" if isinstance(key, int) else key for key in path)


def _order(container_path: Sequence[Key], key: Key) -> tuple[str, ...]:
    if key in LANGUAGES:
        return LANGUAGES
    shape = _shape(container_path)
    for pattern, order in _ORDERS.items():
        if len(pattern) == len(shape) and all(p in ("*", s) for p, s in zip(pattern, shape, strict=True)):
            return order
    return ()


def insert(container: CommentedMap, container_path: Sequence[Key], key: str, value: Any) -> None:
    order = _order(container_path, key)
    if key in order:
        rank = order.index(key)
        for position, existing in enumerate(container):
            if existing in order and order.index(existing) > rank:
                container.insert(position, key, value)
                return
    container[key] = value


def styled(value: Any, old: Any = None) -> Any:
    """The value as ruamel should write it: multi-line text as a block, the quotes the engineer chose kept, short
    lists of scalars on one line."""
    if isinstance(value, str) and not isinstance(value, ScalarString):
        if "\n" in value:
            return FoldedScalarString(value) if isinstance(old, FoldedScalarString) else LiteralScalarString(value)
        if isinstance(old, ScalarString) and not isinstance(old, LiteralScalarString | FoldedScalarString):
            return type(old)(value)
        return value
    if isinstance(value, list | tuple) and not isinstance(value, CommentedSeq):
        sequence = CommentedSeq([styled(item) for item in value])
        if all(not isinstance(item, dict | list) for item in value):
            sequence.fa.set_flow_style()
        return sequence
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        mapping = CommentedMap((key, styled(item)) for key, item in value.items())
        one_line = all(isinstance(item, str) and "\n" not in item for item in value.values())
        if one_line and sum(len(str(item)) for item in value.values()) <= _SHORT_TEXT:
            mapping.fa.set_flow_style()
        return mapping
    return value


def container(data: CommentedMap, path: Sequence[Key]) -> Any:
    """The mapping or list at `path`, mappings created on the way where keys are missing."""
    node: Any = data
    for depth, key in enumerate(path):
        if isinstance(node, list):
            if not (isinstance(key, int) and 0 <= key < len(node)):
                raise EditingError(f"{'.'.join(map(str, path[: depth + 1]))}: no such item")
            node = node[key]
            continue
        if not isinstance(node, dict):
            raise EditingError(f"{'.'.join(map(str, path[:depth]))}: not a mapping")
        if key not in node or node[key] is None:
            insert(node, path[:depth], str(key), CommentedMap())
        node = node[key]
    if not isinstance(node, dict | list):
        raise EditingError(f"{'.'.join(map(str, path))}: not a mapping")
    return node


def set_value(data: CommentedMap, path: Sequence[Key], value: Any) -> None:
    """Sets the value at `path`; None (or "" or an empty list) removes the key, and an emptied optional mapping."""
    *parent_path, key = path
    if value is None or value == "" or value == []:
        parent = get(data, parent_path)
        if isinstance(parent, dict) and key in parent:
            del parent[key]
            _prune(data, tuple(parent_path))
        return
    parent = container(data, parent_path)
    if isinstance(parent, list):
        parent[int(key)] = styled(value, parent[int(key)])
    elif key in parent:
        parent[key] = styled(value, parent[key])
    else:
        insert(parent, parent_path, str(key), styled(value))


def _prune(data: CommentedMap, path: Path) -> None:
    while path and _shape(path) in _PRUNED and get(data, path) == {}:
        parent = get(data, path[:-1])
        del parent[path[-1]]
        path = path[:-1]


def set_text(data: CommentedMap, path: Sequence[Key], language: str, value: str, *, keep: bool = False) -> None:
    """Sets a bilingual text in one language. A text written once for both languages becomes a {fr, en} pair when
    one of them changes (and stays a plain text while they agree); `keep` leaves "" rather than no key (the text
    of an instruction, which makes the step what it is)."""
    other = "en" if language == "fr" else "fr"
    current = get(data, path)
    if isinstance(current, dict):
        if value:
            if language in current:
                current[language] = styled(value, current[language])
            else:
                insert(current, path, language, styled(value))
        elif language in current:
            del current[language]
        if not current:
            if keep:
                _set_empty(data, path)
            else:
                set_value(data, path, None)
        return
    if isinstance(current, str) and current:
        if value == current:
            return
        pair = {language: value, other: str(current)} if value else {other: str(current)}
        set_value(data, path, {lang: pair[lang] for lang in LANGUAGES if lang in pair})
        return
    if value:
        set_value(data, path, {language: value})
    elif keep:
        _set_empty(data, path)
    else:
        set_value(data, path, None)


def _set_empty(data: CommentedMap, path: Sequence[Key]) -> None:
    *parent_path, key = path
    parent = container(data, parent_path)
    parent[key] = ""


def rename_key(data: CommentedMap, path: Sequence[Key], old: str, new: str) -> None:
    """Renames a key of the mapping at `path` in place (a capture's variable), keeping its position and value."""
    mapping = get(data, path)
    if not isinstance(mapping, dict) or old not in mapping or old == new:
        return
    if new in mapping:
        raise EditingError(f"{new!r} is already used here")
    position = list(mapping).index(old)
    value = mapping.pop(old)
    mapping.insert(position, new, value)
