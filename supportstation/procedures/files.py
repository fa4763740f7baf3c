"""Reading and writing procedure files: round-trip YAML (comments and key order kept on save), and every problem
reported with its file, line and field.

The YAML is read by ruamel's round-trip loader, which remembers where each key and item was; pydantic's error
locations (`steps.2.run.timeout`) are walked through that structure to the line the engineer must fix.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from supportstation.i18n import _
from supportstation.procedures.model import Procedure, plain

MAX_FILE_SIZE = 1024 * 1024  # a procedure is text an engineer reads; a bigger file is a mistake


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1-based
    field: str  # "steps.2.run.timeout", "" for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ProcedureError(ValueError):
    """A procedure file that cannot be used; `problems` says each thing wrong, with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class ProcedureDocument:
    """A procedure and the YAML it was read from, kept to write it back with its comments."""

    procedure: Procedure
    data: CommentedMap
    path: Path | None = None


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_SIZE:
            raise ProcedureError(
                [
                    Problem(
                        str(path), None, "", _("the file is {size} bytes: too big for a procedure.").format(size=size)
                    )
                ]
            )
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProcedureError([Problem(str(path), None, "", _("the file is not UTF-8 text."))]) from None
    except OSError as error:
        raise ProcedureError([Problem(str(path), None, "", error.strerror or str(error))]) from None


def load(path: Path) -> ProcedureDocument:
    document = parse(read_text(path), str(path))
    document.path = path
    return document


def parse(text: str, name: str = "<procedure>") -> ProcedureDocument:
    """The procedure in `text`, or ProcedureError listing every problem with its line."""
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = error.problem or error.context or str(error)
        raise ProcedureError([Problem(name, line, "", _("not valid YAML: {error}").format(error=message))]) from None
    except YAMLError as error:
        raise ProcedureError([Problem(name, None, "", _("not valid YAML: {error}").format(error=error))]) from None
    if not isinstance(data, CommentedMap):
        raise ProcedureError([Problem(name, 1, "", _("a procedure is a mapping of keys (id, title, steps…)."))])
    try:
        procedure = Procedure.model_validate(plain(data))
    except ValidationError as error:
        raise ProcedureError(_problems(error, data, name)) from None
    return ProcedureDocument(procedure, data)


def _problems(error: ValidationError, data: CommentedMap, name: str) -> list[Problem]:
    problems = []
    for detail in error.errors():
        location = [part for part in detail["loc"] if not _is_union_tag(part)]
        field = ".".join(str(part) for part in location)
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = _("unknown key (misspelt, or not allowed here).")
        elif detail["type"] == "missing":
            message = _("this key is required.")
        problems.append(Problem(name, line_of(data, location), field, message))
    # Pydantic reports one problem per branch of a union: the same field once is enough.
    unique: dict[tuple[int | None, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.field), problem)
    return sorted(unique.values(), key=lambda problem: (problem.line or 0, problem.field))


def _is_union_tag(part: Any) -> bool:
    # pydantic names the branch of a union it tried ("str", "dict[...]", "function-after[...]") in the location.
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "bool", "float", "none"))


def line_of(data: Any, location: list[Any]) -> int | None:
    """The 1-based line of the deepest part of `location` that exists in the YAML."""
    line = 1
    node = data
    for part in location:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def dump(data: CommentedMap) -> str:
    """The YAML text of a document, its comments and key order as they were read."""
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def save(document: ProcedureDocument, path: Path) -> None:
    """Checks the document, then writes it through a temporary file, so a crash never leaves half a procedure."""
    text = dump(document.data)
    parse(text, str(path))  # what is written must read back
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
