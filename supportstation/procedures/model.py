"""The procedure format: what one YAML file may say, checked by pydantic so every mistake is found before anything runs.

A procedure has an id, a title (and description) in French and/or English, typed parameters, and steps. Each step has
an `id`, optionally a `title` and a `when:` condition, and exactly one of: `instruction`, `run`, `prompt`, `confirm`,
`action`, `transfer`, `note`. Commands are templates: `{name}` stands for a parameter, a prompted or a captured
variable, inserted quoted for the target shell by the engine (`templates.py`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportstation.i18n import N_, _, catalog
from supportstation.plugin_api.actions import Parameter, ParameterType, template_placeholders
from supportstation.procedures.conditions import ConditionError, names_used, parse_condition

STEP_KINDS = ("instruction", "run", "prompt", "confirm", "action", "transfer", "note")
_ID = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# What a `raw` parameter's pattern must refuse: each probe carries a character a shell reads as syntax.
_RAW_PROBES = ("a b", "a;b", "a|b", "a&b", "$(a)", "`a`", "a'b", 'a"b', "a\nb", "a>b", "a<b", "*", "a%b", "{a}")

Text = str | dict[Literal["fr", "en"], str]


def text_in(value: Text | None, language: str) -> str:
    """The text in `language`, else in the other language, else ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(language) or value.get("en") or value.get("fr") or ""  # type: ignore[call-overload]


STEP_KINDS = {
    "instruction": N_("Instruction"),
    "run": N_("Command"),
    "prompt": N_("Question"),
    "confirm": N_("Customer's consent"),
    "action": N_("Action"),
    "transfer": N_("File transfer"),
    "note": N_("Note"),
}


def step_kind_label(kind: str, language: str | None = None) -> str:
    """What a step of this kind is, in `language` (the interface's by default): the name of a step without title."""
    word = STEP_KINDS.get(kind)
    if word is None:
        return kind
    return catalog(language).gettext(word) if language else _(word)


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt `on_failur:` must not silently mean "stop".
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(_("invalid regular expression: {error}").format(error=error)) from None
    return value


class ParameterSpec(_Strict):
    name: str
    type: ParameterType = ParameterType.STRING
    label: Text | None = None
    default: str | int | bool | None = None
    required: bool = True
    pattern: str | None = None
    choices: list[str] = Field(default_factory=list)
    # Inserted without quotes (a list of options, a glob): only with a pattern that refuses shell syntax.
    raw: bool = False

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        self.parameter()  # the same checks as an action's parameter: name, type, choices, pattern, default
        if self.raw:
            if self.type is ParameterType.SECRET:
                raise ValueError(_("a secret is never inserted raw."))
            if not self.pattern:
                raise ValueError(_("a raw parameter needs a pattern that restricts its values."))
            accepted = [probe for probe in _RAW_PROBES if re.fullmatch(self.pattern, probe)]
            if accepted:
                raise ValueError(
                    _("the pattern of a raw parameter must refuse shell syntax, and it accepts {probe!r}.").format(
                        probe=accepted[0]
                    )
                )
        return self

    def parameter(self) -> Parameter:
        return Parameter(
            name=self.name,
            type=self.type,
            label=text_in(self.label, "en") or self.name,
            default=self.default,
            required=self.required,
            pattern=self.pattern,
            choices=tuple(self.choices),
        )


class JsonCheck(_Strict):
    path: str  # dotted keys and list indexes: "disks.0.free"
    equals: str | int | float | bool | None = None
    matches: str | None = None

    _pattern = field_validator("matches")(_regex)


class Expect(_Strict):
    exit_codes: list[int] = Field(default_factory=lambda: [0])
    stdout_matches: str | None = None
    stdout_not_matches: str | None = None
    stderr_matches: str | None = None
    stderr_not_matches: str | None = None
    json_checks: list[JsonCheck] = Field(default_factory=list, alias="json")

    _patterns = field_validator("stdout_matches", "stdout_not_matches", "stderr_matches", "stderr_not_matches")(_regex)


class Capture(_Strict):
    regex: str | None = None  # searched in the output; the group (1 by default, or a name) is the value
    group: int | str = 1
    json_path: str | None = Field(default=None, alias="json")  # a dotted path into the output read as JSON
    stream: Literal["stdout", "stderr"] = "stdout"

    _pattern = field_validator("regex")(_regex)

    @model_validator(mode="after")
    def _one_source(self) -> Capture:
        if (self.regex is None) == (self.json_path is None):
            raise ValueError(_("a capture takes its value from either a regex or a json path."))
        return self


class RunStep(_Strict):
    sh: str | None = None
    powershell: str | None = None
    cmd: str | None = None
    hosts: str = "ticket"  # "ticket": the ticket's host; "all": each of the ticket's hosts; or a host parameter
    timeout: float = Field(default=60, gt=0)
    sudo: bool = False
    expect: Expect = Field(default_factory=Expect)
    on_failure: Literal["stop", "continue", "ask"] = "stop"
    capture: dict[str, Capture] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _a_command(self) -> RunStep:
        if not self.commands():
            raise ValueError(_("a run step needs a command for at least one shell: sh, powershell or cmd."))
        for shell, template in self.commands().items():
            try:
                template_placeholders(template)
            except ValueError as error:
                raise ValueError(f"{shell}: {error}") from None
        for name in self.capture:
            if not _NAME.fullmatch(name):
                raise ValueError(
                    _("variable name {name!r} must be lowercase letters, digits and '_'.").format(name=name)
                )
        return self

    def commands(self) -> dict[str, str]:
        return {shell: text for shell in ("sh", "powershell", "cmd") if (text := getattr(self, shell)) is not None}


class PromptStep(_Strict):
    variable: str
    question: Text
    pattern: str | None = None
    secret: bool = False

    _pattern = field_validator("pattern")(_regex)


class ConfirmStep(_Strict):
    text: Text  # what the customer agrees to, read to them
    by: Literal["initials", "signature"] = "initials"


class ActionStep(_Strict):
    id: str
    arguments: dict[str, str | int | bool] = Field(default_factory=dict)
    hosts: str = "ticket"


class TransferStep(_Strict):
    direction: Literal["upload", "download"]
    remote: str
    local: str
    hosts: str = "ticket"


class Step(_Strict):
    id: str
    title: Text | None = None
    when: str | None = None
    instruction: Text | None = None
    run: RunStep | None = None
    prompt: PromptStep | None = None
    confirm: ConfirmStep | None = None
    action: ActionStep | None = None
    transfer: TransferStep | None = None
    note: Text | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(_("a step id is lowercase letters, digits, '-' and '_', like 'check-disk'."))
        return value

    @field_validator("when")
    @classmethod
    def _condition(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_condition(value)
            except ConditionError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [kind for kind in STEP_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(
                _("a step has exactly one of {kinds}; this one has {found}.").format(
                    kinds=", ".join(STEP_KINDS), found=", ".join(kinds) or _("none")
                )
            )
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in STEP_KINDS if getattr(self, kind) is not None)

    def label(self, language: str) -> str:
        """The step's title in `language`; a step without one is named by what it is ("Customer's consent"), not by
        its id, which is written for the procedure's author."""
        return text_in(self.title, language) or step_kind_label(self.kind, language)

    def variables_set(self) -> set[str]:
        """The variables this step gives a value to, for the steps after it."""
        if self.run is not None:
            return set(self.run.capture)
        if self.prompt is not None:
            return {self.prompt.variable}
        return set()

    def templates(self) -> list[tuple[str, str]]:
        """(where, template) for every text of this step that takes `{name}` placeholders."""
        found: list[tuple[str, str]] = []
        if self.run is not None:
            found += [(f"run.{shell}", text) for shell, text in self.run.commands().items()]
        if self.transfer is not None:
            found += [("transfer.remote", self.transfer.remote), ("transfer.local", self.transfer.local)]
        if self.action is not None:
            found += [(f"action.arguments.{k}", v) for k, v in self.action.arguments.items() if isinstance(v, str)]
        if self.note is not None:  # a note may say what was found: "{free_gb} GB free"
            notes = {"": self.note} if isinstance(self.note, str) else self.note
            found += [(f"note.{language}".rstrip("."), text) for language, text in notes.items()]
        return found


class AppliesTo(_Strict):
    os: list[str] = Field(default_factory=list)  # empty: any
    vendor: list[str] = Field(default_factory=list)


class Procedure(_Strict):
    id: str
    version: int | str = 1
    title: Text
    description: Text | None = None
    tags: list[str] = Field(default_factory=list)
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    parameters: list[ParameterSpec] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(_("a procedure id is dotted lowercase words, like 'linux.disk-full'."))
        return value

    @model_validator(mode="after")
    def _references(self) -> Procedure:
        """Every placeholder, condition and host reference names something defined before it is used."""
        names = [parameter.name for parameter in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(_("two parameters have the same name."))
        host_parameters = {p.name for p in self.parameters if p.type is ParameterType.HOST}
        known = set(names)
        seen_steps: set[str] = set()
        for index, step in enumerate(self.steps):
            where = _("step {number} ({id})").format(number=index + 1, id=step.id)
            if step.id in seen_steps:
                raise ValueError(_("{where}: another step has the same id.").format(where=where))
            for field, template in step.templates():
                unknown = sorted(set(template_placeholders(template)) - known)
                if unknown:
                    raise ValueError(
                        _("{where}, {field}: {{{name}}} is no parameter nor a variable set by an earlier step.").format(
                            where=where, field=field, name=unknown[0]
                        )
                    )
            if step.when is not None:
                variables, steps = names_used(parse_condition(step.when))
                if unknown := sorted(variables - known):
                    raise ValueError(
                        _("{where}, when: {name} is no parameter nor a variable set by an earlier step.").format(
                            where=where, name=unknown[0]
                        )
                    )
                if unknown := sorted(steps - seen_steps):
                    raise ValueError(
                        _("{where}, when: steps.{name} is not an earlier step.").format(where=where, name=unknown[0])
                    )
            target = step.run or step.action or step.transfer
            hosts = getattr(target, "hosts", "ticket")
            if hosts not in ("ticket", "all") and hosts not in host_parameters:
                raise ValueError(
                    _("{where}, hosts: {hosts!r} is neither 'ticket', 'all' nor a parameter of type host.").format(
                        where=where, hosts=hosts
                    )
                )
            if clash := sorted(step.variables_set() & set(names)):
                # A captured or prompted value would replace the parameter's checked value (and its raw marker).
                raise ValueError(
                    _("{where}: the variable {name} has the name of a parameter; give it another name.").format(
                        where=where, name=clash[0]
                    )
                )
            known |= step.variables_set()
            seen_steps.add(step.id)
        return self

    def title_in(self, language: str) -> str:
        return text_in(self.title, language)


def plain(value: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, for validation."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
