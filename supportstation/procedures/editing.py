"""Changes the procedure editor makes to a round-trip YAML document: add, remove, move and duplicate steps and
parameters, add a captured value, start a new procedure or a copy; and what the form reads from a document (a step's
kind and label, the hosts and variables a step may name). Fields are set through `yaml_fields` (re-exported here), so
comments and the order of keys stay as the engineer wrote them.

The editor's source of truth is the YAML text; `check` reads a text back into a document, its procedure (when valid)
and every problem with its line.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from supportstation.procedures.files import Problem, ProcedureError, parse
from supportstation.procedures.model import STEP_KINDS, Procedure, text_in
from supportstation.procedures.yaml_fields import LANGUAGES, insert, styled
from supportstation.procedures.yaml_fields import EditingError as EditingError
from supportstation.procedures.yaml_fields import get as get
from supportstation.procedures.yaml_fields import rename_key as rename_key
from supportstation.procedures.yaml_fields import set_text as set_text
from supportstation.procedures.yaml_fields import set_value as set_value

# What a new step says until the engineer writes their own: in both languages, as a procedure is written.
_STEP_TEXTS = {
    "instruction": {"fr": "Décrivez ce que l'ingénieur doit faire.", "en": "Describe what the engineer does."},
    "question": {"fr": "Quelle valeur le client indique-t-il ?", "en": "What value does the customer give?"},
    "confirm": {"fr": "Le client accepte l'intervention.", "en": "The customer agrees to the intervention."},
    "note": {"fr": "Résultat à noter dans le rapport.", "en": "Result to write in the report."},
    "title": {"fr": "Nouvelle procédure", "en": "New procedure"},
    "parameter": {"fr": "Paramètre", "en": "Parameter"},
    "copy": {"fr": " (copie)", "en": " (copy)"},
}
_STEP_ID_BASES = {
    "instruction": "explain",
    "run": "check",
    "prompt": "ask",
    "confirm": "consent",
    "action": "action",
    "transfer": "transfer",
    "note": "note",
}


@dataclass
class Checked:
    """A text read back: its document when the YAML reads, its procedure when valid, and every problem."""

    text: str
    data: CommentedMap | None
    procedure: Procedure | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def yaml_ok(self) -> bool:
        return self.data is not None


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long command line: the engineer wrote it on one line
    return yaml


def to_text(data: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def check(text: str, name: str = "<procedure>") -> Checked:
    """Reads `text` as a procedure; slow enough on a long file to call from a worker thread."""
    try:
        document = parse(text, name)
    except ProcedureError as error:
        try:
            data = _yaml().load(text)
        except YAMLError:
            data = None
        return Checked(text, data if isinstance(data, CommentedMap) else None, None, error.problems)
    return Checked(text, document.data, document.procedure)


# -- reading -------------------------------------------------------------------------------------------------------


def steps_of(data: CommentedMap) -> list[Any]:
    steps = data.get("steps")
    return steps if isinstance(steps, list) else []


def parameters_of(data: CommentedMap) -> list[Any]:
    parameters = data.get("parameters")
    return parameters if isinstance(parameters, list) else []


def step_kind(step: Any) -> str:
    """The kind of a step as written (the first kind key present), "" when it has none."""
    if isinstance(step, dict):
        return next((kind for kind in STEP_KINDS if kind in step), "")
    return ""


def describe_step(step: Any, language: str) -> str:
    """What the step list shows: its title, else the first line of its text, else its id."""
    if not isinstance(step, dict):
        return "?"
    title = _text(step.get("title"), language)
    if not title:
        kind = step_kind(step)
        value = step.get(kind)
        if kind in ("instruction", "note"):
            title = _text(value, language)
        elif kind == "prompt" and isinstance(value, dict):
            title = _text(value.get("question"), language)
        elif kind == "confirm" and isinstance(value, dict):
            title = _text(value.get("text"), language)
        elif kind == "action" and isinstance(value, dict):
            title = str(value.get("id", ""))
        elif kind == "run" and isinstance(value, dict):
            title = next((str(value[shell]) for shell in ("sh", "powershell", "cmd") if value.get(shell)), "")
        elif kind == "transfer" and isinstance(value, dict):
            title = f"{value.get('direction', '')} {value.get('remote', '')}"
    title = title.strip().split("\n", 1)[0]
    return title or str(step.get("id", "?"))


def _text(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return text_in({k: str(v) for k, v in value.items() if k in LANGUAGES}, language)  # type: ignore[arg-type]
    return "" if value is None else str(value)


def host_choices(data: CommentedMap) -> list[str]:
    """What a step's `hosts:` may say: the ticket's host, all its hosts, or a parameter of type host."""
    names = [str(p.get("name")) for p in parameters_of(data) if isinstance(p, dict) and p.get("type") == "host"]
    return ["ticket", "all", *names]


def variables_before(data: CommentedMap, index: int) -> list[str]:
    """Names a command of step `index` may use: parameters, then variables captured or asked by earlier steps."""
    names = [str(p["name"]) for p in parameters_of(data) if isinstance(p, dict) and "name" in p]
    for step in steps_of(data)[:index]:
        if not isinstance(step, dict):
            continue
        run, prompt = step.get("run"), step.get("prompt")
        if isinstance(run, dict) and isinstance(run.get("capture"), dict):
            names += [str(name) for name in run["capture"]]
        if isinstance(prompt, dict) and "variable" in prompt:
            names.append(str(prompt["variable"]))
    return names


# -- fields --------------------------------------------------------------------------------------------------------


# -- steps ---------------------------------------------------------------------------------------------------------


def _steps(data: CommentedMap) -> CommentedSeq:
    steps = data.get("steps")
    if steps is None:
        steps = CommentedSeq()
        insert(data, (), "steps", steps)
    if not isinstance(steps, list):
        raise EditingError("steps: not a list; fix it in the YAML source")
    return steps


def unique_name(base: str, taken: Sequence[str], separator: str = "-") -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}{separator}{number}" in taken:
        number += 1
    return f"{base}{separator}{number}"


def step_ids(data: CommentedMap) -> list[str]:
    return [str(step.get("id")) for step in steps_of(data) if isinstance(step, dict)]


def new_step(kind: str, step_id: str, *, action_id: str = "", variable: str = "answer") -> CommentedMap:
    """A step of `kind` with what it needs to be valid, for the engineer to change."""
    if kind not in STEP_KINDS:
        raise EditingError(f"unknown step kind {kind!r}")
    body: Any
    if kind in ("instruction", "note"):
        body = _bilingual(_STEP_TEXTS[kind], flow=False)
    elif kind == "run":
        body = CommentedMap([("sh", "uptime"), ("powershell", "Get-CimInstance Win32_OperatingSystem")])
    elif kind == "prompt":
        body = CommentedMap([("variable", variable), ("question", _bilingual(_STEP_TEXTS["question"], flow=False))])
    elif kind == "confirm":
        body = CommentedMap([("text", _bilingual(_STEP_TEXTS["confirm"], flow=False)), ("by", "initials")])
    elif kind == "action":
        body = CommentedMap([("id", action_id or "linux.disk_usage")])
    else:
        body = CommentedMap([("direction", "download"), ("remote", "/var/log/syslog"), ("local", "syslog.txt")])
    return CommentedMap([("id", step_id), (kind, body)])


def _bilingual(texts: dict[str, str], *, flow: bool) -> CommentedMap:
    mapping = CommentedMap((language, texts[language]) for language in LANGUAGES)
    if flow:
        mapping.fa.set_flow_style()
    return mapping


def add_step(data: CommentedMap, kind: str, after: int | None = None, *, action_id: str = "") -> int:
    """Adds a step of `kind` after step `after` (at the end when None); returns its index."""
    steps = _steps(data)
    variables = variables_before(data, len(steps))
    step = new_step(
        kind,
        unique_name(_STEP_ID_BASES[kind], step_ids(data)),
        action_id=action_id,
        variable=unique_name("answer", variables, "_"),
    )
    index = len(steps) if after is None else max(0, min(after + 1, len(steps)))
    steps.insert(index, step)
    return index


def remove_step(data: CommentedMap, index: int) -> None:
    steps = _steps(data)
    if 0 <= index < len(steps):
        del steps[index]


def move_step(data: CommentedMap, index: int, to: int) -> int:
    """Moves step `index` to position `to` (clamped); returns where it is now."""
    return _move(_steps(data), index, to)


def _move(items: CommentedSeq, index: int, to: int) -> int:
    to = max(0, min(to, len(items) - 1))
    if not 0 <= index < len(items) or to == index:
        return index
    item = items[index]
    del items[index]
    items.insert(to, item)
    return to


def duplicate_step(data: CommentedMap, index: int) -> int:
    steps = _steps(data)
    if not 0 <= index < len(steps) or not isinstance(steps[index], dict):
        raise EditingError(f"steps.{index}: no such step")
    copied = copy.deepcopy(steps[index])
    copied["id"] = unique_name(str(copied.get("id", "step")), step_ids(data))
    steps.insert(index + 1, copied)
    return index + 1


# -- parameters and captures ---------------------------------------------------------------------------------------


def _parameters(data: CommentedMap) -> CommentedSeq:
    parameters = data.get("parameters")
    if parameters is None:
        parameters = CommentedSeq()
        insert(data, (), "parameters", parameters)
    if not isinstance(parameters, list):
        raise EditingError("parameters: not a list; fix it in the YAML source")
    return parameters


def add_parameter(data: CommentedMap) -> int:
    parameters = _parameters(data)
    taken = [str(p.get("name")) for p in parameters if isinstance(p, dict)]
    parameter = CommentedMap(
        [("name", unique_name("value", taken, "_")), ("type", "string"), ("label", styled(_STEP_TEXTS["parameter"]))]
    )
    parameters.append(parameter)
    return len(parameters) - 1


def remove_parameter(data: CommentedMap, index: int) -> None:
    parameters = _parameters(data)
    if 0 <= index < len(parameters):
        del parameters[index]
    if not parameters:
        del data["parameters"]


def move_parameter(data: CommentedMap, index: int, to: int) -> int:
    return _move(_parameters(data), index, to)


def add_capture(data: CommentedMap, step: int) -> str:
    """A new captured variable on a run step, read by a regex from its output; returns its name."""
    name = unique_name("value", variables_before(data, len(steps_of(data))), "_")
    set_value(data, ("steps", step, "run", "capture", name), {"regex": "(.+)"})
    return name


# -- whole procedures ----------------------------------------------------------------------------------------------


def new_procedure(procedure_id: str) -> CommentedMap:
    data = CommentedMap([("id", procedure_id), ("version", 1), ("title", _bilingual(_STEP_TEXTS["title"], flow=True))])
    data["steps"] = CommentedSeq([new_step("instruction", "explain")])
    return data


def duplicate(data: CommentedMap, procedure_id: str) -> CommentedMap:
    """A copy under another id, its title saying it is a copy; comments kept."""
    copied = copy.deepcopy(data)
    set_value(copied, ("id",), procedure_id)
    title = copied.get("title")
    if isinstance(title, dict):
        for language in LANGUAGES:
            if language in title:
                title[language] = styled(str(title[language]) + _STEP_TEXTS["copy"][language], title[language])
    elif isinstance(title, str):
        set_value(copied, ("title",), title + _STEP_TEXTS["copy"]["en"])
    return copied


def free_id(base: str, taken: Sequence[str]) -> str:
    """An id like `base` that no procedure has yet (`base-2`, `base-3`…)."""
    base = re.sub(r"[^a-z0-9._-]+", "-", base.lower()).strip(".-") or "my.procedure"
    return unique_name(base, taken)
