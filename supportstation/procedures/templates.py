"""Commands of a procedure filled in for one host: every `{name}` replaced by its value quoted for the host's shell.

Quoting is the only way a value reaches a command (`remote.quoting`): a parameter marked `raw` is inserted as it is,
and the schema allows that only when its pattern refuses shell syntax. A preview shows the exact commands that would
run; a secret is shown masked there, and a variable that an earlier step will capture is shown as `⟨name⟩`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supportstation.i18n import _
from supportstation.plugin_api.actions import (
    ParameterError,
    ParameterType,
    Value,
    argument_text,
    template_placeholders,
)
from supportstation.procedures.model import Procedure, Step, text_in
from supportstation.remote.quoting import QuotingError, quote_for

SECRET_MASK = "••••••"


class TemplateError(ValueError):
    """A command that cannot be filled in for this shell (a value the shell cannot quote); says which step."""


def resolve_parameters(procedure: Procedure, given: Mapping[str, object]) -> dict[str, Value]:
    """Every parameter's value, converted and checked; ParameterError for an unknown name or a refused value."""
    specs = {spec.name: spec for spec in procedure.parameters}
    for name in given:
        if name not in specs:
            raise ParameterError(
                name,
                _("The procedure {id} has no parameter {name!r}; its parameters are: {names}.").format(
                    id=procedure.id, name=name, names=", ".join(specs) or _("none")
                ),
            )
    return {name: spec.parameter().validate(given.get(name)) for name, spec in specs.items()}


def render(
    template: str,
    shell: str,
    values: Mapping[str, Value],
    *,
    raw: frozenset[str] = frozenset(),
    shown: Mapping[str, str] | None = None,
) -> str:
    """`template` with each placeholder replaced by its value quoted for `shell` (or as it is, for a raw one).
    `shown` gives text to put in place of some values instead (masked secrets, variables not known yet)."""
    filled: dict[str, str] = {}
    for name, value in values.items():
        if shown is not None and name in shown:
            filled[name] = shown[name]
        elif name in raw:
            filled[name] = argument_text(value)
        else:
            filled[name] = quote_for(shell, argument_text(value))
    for name, text in (shown or {}).items():
        filled.setdefault(name, text)
    # format_map reads the template only; the quoted values are inserted as they are and never parsed again.
    return template.format_map(filled)


def display_command(procedure: Procedure, step: Step, shell: str, values: Mapping[str, Value]) -> str:
    """The command of `step` for `shell` as the engineer may see it while the run goes on: quoted as it runs,
    secrets masked, and a variable not captured yet shown as `⟨name⟩`."""
    assert step.run is not None
    template = step.run.commands()[shell]
    secrets = {spec.name for spec in procedure.parameters if spec.type is ParameterType.SECRET}
    secrets |= {s.prompt.variable for s in procedure.steps if s.prompt is not None and s.prompt.secret}
    shown = {name: SECRET_MASK for name in secrets}
    shown |= {name: f"⟨{name}⟩" for name in template_placeholders(template) if name not in values}
    raw = frozenset(spec.name for spec in procedure.parameters if spec.raw)
    try:
        return render(template, shell, values, raw=raw, shown=shown)
    except QuotingError as error:
        return f"{template}  ({error})"


def shell_for(step: Step, shells: Sequence[str]) -> str | None:
    """The first of the host's shells (preferred first) that the step has a command for."""
    if step.run is None:
        return None
    commands = step.run.commands()
    return next((shell for shell in shells if shell in commands), None)


@dataclass(frozen=True)
class PreviewLine:
    step: str
    kind: str
    shell: str  # "" for steps that run no command
    text: str  # the command, exactly; or what the step does


def preview(
    procedure: Procedure, values: Mapping[str, Value], shells: Sequence[str], language: str = "en"
) -> list[PreviewLine]:
    """What each step would do on a host with `shells`: the exact commands, quoted; secrets masked."""
    raw = frozenset(spec.name for spec in procedure.parameters if spec.raw)
    masked = {spec.name: SECRET_MASK for spec in procedure.parameters if spec.type is ParameterType.SECRET}
    later: dict[str, str] = {}
    lines = []
    plain_values = {name: argument_text(value) for name, value in values.items()}
    for step in procedure.steps:
        shown = {**masked, **later}
        as_text = {**plain_values, **shown}  # for texts that are read, not run: notes and transfer paths
        if step.run is not None:
            shell = shell_for(step, shells)
            if shell is None:
                text = _("(no command for {shells}: the step would fail)").format(shells=" or ".join(shells))
                lines.append(PreviewLine(step.id, step.kind, "", text))
            else:
                try:
                    command = render(step.run.commands()[shell], shell, values, raw=raw, shown=shown)
                except QuotingError as error:
                    raise TemplateError(_("Step {id}: {error}").format(id=step.id, error=error)) from None
                lines.append(PreviewLine(step.id, step.kind, shell, command))
        elif step.action is not None:
            lines.append(PreviewLine(step.id, step.kind, "", _("action {id}").format(id=step.action.id)))
        elif step.transfer is not None:
            transfer = step.transfer
            remote, local = transfer.remote.format_map(as_text), transfer.local.format_map(as_text)
            lines.append(PreviewLine(step.id, step.kind, "", f"{transfer.direction} {remote} ⇄ {local}"))
        elif step.note is not None:
            text = text_in(step.note, language).format_map(as_text)
            lines.append(PreviewLine(step.id, step.kind, "", text))
        else:
            described = step.instruction or (step.confirm.text if step.confirm else None)
            if step.prompt is not None:
                described = step.prompt.question
            lines.append(PreviewLine(step.id, step.kind, "", text_in(described, language)))
        later |= {name: f"⟨{name}⟩" for name in step.variables_set()}
    return lines
