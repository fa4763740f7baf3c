"""Remote actions: ready-made commands a plugin contributes, with their parameters and an output parser.

An action is a declaration, not code that runs: the remote engine picks the command for the target's shell, fills
in the parameters (validated, then quoted for that shell by `command_for`), runs it, and hands the output to the
action's parser to show a table. Titles, descriptions, categories, parameter labels and table column headers are
stored in English, unformatted (a plugin marks them with `N_`); SupportStation shows them through the catalog of the
plugin that declared them (see translations.py).
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from supportstation.i18n import _
from supportstation.remote.quoting import DEVICE_LANGUAGE, SHELLS, QuotingError, quote_for

_ACTION_ID = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
_PARAMETER_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# DNS labels (plus "_", which Windows machine names use); a label never starts with "-", so neither does a host name.
_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\Z){_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")

Value = str | int | bool | None


class ParameterType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    HOST = "host"  # a host name or IP address; never starts with "-", so it cannot pass for an option
    SECRET = "secret"  # a string the engine redacts from what it stores and shows


class ParameterError(ValueError):
    """A value the parameter refuses; the message names the parameter and never repeats a secret. `reason` is the
    message without the parameter's label, for a window that shows the label in the plugin's words."""

    def __init__(self, parameter: str, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.parameter = parameter
        self.reason = reason or message


class ParseError(ValueError):
    """The output is not what the parser expected: the caller shows the raw output with this message instead."""


class ActionError(ValueError):
    """The action cannot give a command for this shell."""


@dataclass(frozen=True)
class Parameter:
    """One value the engineer gives when running an action.

    A missing value (None or "") takes `default`; without a default, a required parameter is an error and an
    optional one stands for "" in the command. `pattern` must match the whole text of a string, secret, host or
    integer value. Booleans reach the command as the words `true` and `false`.
    """

    name: str
    type: ParameterType
    label: str
    default: Value = None
    required: bool = True
    pattern: str | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _PARAMETER_NAME.fullmatch(self.name):
            raise ValueError(
                _("Parameter name {name!r} must be lowercase letters, digits and '_'.").format(name=self.name)
            )
        try:
            object.__setattr__(self, "type", ParameterType(self.type))
        except ValueError:
            raise ValueError(
                _("Parameter {name}: unknown type {type!r}.").format(name=self.name, type=self.type)
            ) from None
        object.__setattr__(self, "choices", tuple(self.choices))
        if (self.type is ParameterType.CHOICE) != bool(self.choices):
            raise ValueError(
                _("Parameter {name}: choices are given for the 'choice' type, and only for it.").format(name=self.name)
            )
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise ValueError(
                    _("Parameter {name}: invalid pattern: {error}").format(name=self.name, error=error)
                ) from None
        if self.default is not None:
            self.validate(self.default)  # a bad default is the plugin author's error, found when the plugin loads

    def error(self, message: str) -> ParameterError:
        """A ParameterError whose message starts with this parameter's label and name."""
        return ParameterError(
            self.name,
            # The label is English data, translated by SupportStation's own catalog here (the window puts the
            # plugin's translation in place, from `reason`); `_("")` would return the catalog header.
            _("{label} ({name}): {message}").format(
                label=_(self.label) if self.label else "", name=self.name, message=message
            ),
            reason=message,
        )

    def validate(self, value: object) -> Value:
        """The value converted to the parameter's type, or ParameterError."""
        if value is None or value == "":
            if self.default is not None:
                value = self.default
            elif self.required:
                raise self.error(_("a value is required."))
            else:
                return None
        converted = self._convert(value)
        pattern_applies = self.pattern is not None and not isinstance(converted, bool)
        if pattern_applies and not re.fullmatch(self.pattern or "", str(converted)):
            if self.type is ParameterType.SECRET:
                raise self.error(_("the value does not have the expected form."))
            raise self.error(_("{value!r} does not have the expected form.").format(value=str(converted)))
        return converted

    def _convert(self, value: object) -> Value:
        kind = self.type
        if kind is ParameterType.INTEGER:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
                return int(value)
            raise self.error(_("expected a whole number, not {value!r}.").format(value=value))
        if kind is ParameterType.BOOLEAN:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise self.error(_("expected yes or no, not {value!r}.").format(value=value))
        if not isinstance(value, str):
            raise self.error(_("expected text, not {type}.").format(type=type(value).__name__))
        if kind is ParameterType.CHOICE and value not in self.choices:
            raise self.error(
                _("{value!r} is not one of {choices}.").format(value=value, choices=", ".join(self.choices))
            )
        if kind is ParameterType.HOST and not _is_host(value):
            raise self.error(_("{value!r} is not a host name or an IP address.").format(value=value))
        return value


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOST_NAME.fullmatch(value))
    return True


def argument_text(value: Value) -> str:
    """How a validated value is written in a command, before quoting."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Table:
    """A parser's result: rows of text under column headers, and notes to read with them (caveats, hints)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Parsers build lists naturally; the table keeps tuples so a result cannot change once shown or stored.
        object.__setattr__(self, "columns", tuple(str(column) for column in self.columns))
        object.__setattr__(self, "rows", tuple(tuple(str(cell) for cell in row) for row in self.rows))
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    _("Row {number} has {cells} cells for {columns} columns.").format(
                        number=number, cells=len(row), columns=len(self.columns)
                    )
                )


_ATTACHMENT_NAME = re.compile(r"[\w][\w.-]{0,99}")


def template_placeholders(template: str) -> list[str]:
    """The parameter names a template refers to; ValueError for anything but plain `{name}` placeholders."""
    try:
        fields = [(name, spec, conversion) for _text, name, spec, conversion in string.Formatter().parse(template)]
    except ValueError as error:
        raise ValueError(
            _("Unbalanced braces ({error}): write literal braces as {{{{ and }}}}.").format(error=error)
        ) from None
    names = []
    for name, spec, conversion in fields:
        if name is None:
            continue
        if not _PARAMETER_NAME.fullmatch(name) or spec or conversion:
            raise ValueError(
                _(
                    "Placeholder {{{name}}} is not a plain parameter name: write literal braces as {{{{ and }}}}."
                ).format(name=name)
            )
        names.append(name)
    return names


@dataclass(frozen=True)
class Action:
    """A ready-made remote command, contributed by a plugin through the `supportstation_actions` hook.

    `id` is stable and dotted ("linux.disk_usage"): procedures and the audit trail refer to actions by it.
    `commands` maps a shell ("sh", "powershell", "cmd", or a transport's language such as "ios") to a template in
    `str.format` syntax whose `{name}` placeholders are parameters; literal braces are doubled. A placeholder is
    replaced by one quoted word, so it must stand outside any quotes of the template. `os_families` and `vendors`
    (empty: any vendor) are compared without regard to case. `needs_sudo` tells the engine to run the command with
    elevated rights; `timeout` is in seconds. `parser` turns the standard output into a Table, or raises ParseError.
    `confirm`, when given, is a question (English, translated when shown) that the engineer must answer yes to
    before the action runs, for actions that change something the customer relies on (a power cycle, a VLAN).
    `attachment`, when given, is a file name ("running-config.txt"): the standard output of a successful run on a
    ticket is also attached to the ticket as a file, named after the host and the time, like a backup.
    """

    id: str
    title: str
    description: str
    category: str
    commands: Mapping[str, str] = field(hash=False)
    os_families: tuple[str, ...]
    vendors: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    parser: Callable[[str], Table] | None = field(default=None, hash=False, compare=False)
    needs_sudo: bool = False
    timeout: float = 60
    confirm: str = ""
    attachment: str = ""

    def __post_init__(self) -> None:
        # Every check runs when the plugin defines the action, so a mistake shows as that plugin's load failure and
        # never as an error in front of a customer.
        if not isinstance(self.id, str) or not _ACTION_ID.fullmatch(self.id):
            raise ValueError(
                _("Action id {id!r} must be dotted lowercase words, like 'linux.disk_usage'.").format(id=self.id)
            )
        if not self.title:
            raise ValueError(_("Action {id} has no title.").format(id=self.id))
        object.__setattr__(self, "commands", MappingProxyType(dict(self.commands)))
        object.__setattr__(self, "os_families", tuple(family.lower() for family in self.os_families))
        object.__setattr__(self, "vendors", tuple(vendor.lower() for vendor in self.vendors))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if not self.commands:
            raise ValueError(_("Action {id} has no command.").format(id=self.id))
        if not self.os_families:
            raise ValueError(_("Action {id} names no OS family.").format(id=self.id))
        if not all(isinstance(parameter, Parameter) for parameter in self.parameters):
            raise ValueError(_("Action {id}: parameters must be Parameter objects.").format(id=self.id))
        names = [parameter.name for parameter in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(_("Action {id} has two parameters with the same name.").format(id=self.id))
        for shell, template in self.commands.items():
            # Other names are device languages; the registry checks that some plugin's transport speaks each one.
            if shell not in SHELLS and not (isinstance(shell, str) and DEVICE_LANGUAGE.fullmatch(shell)):
                raise ValueError(
                    _(
                        "Action {id}: unknown shell {shell!r}, expected one of {shells} or a transport's language."
                    ).format(id=self.id, shell=shell, shells=", ".join(SHELLS))
                )
            try:
                unknown = sorted(set(template_placeholders(template)) - set(names))
            except ValueError as error:
                raise ValueError(
                    _("Action {id}, {shell} command: {error}").format(id=self.id, shell=shell, error=error)
                ) from None
            if unknown:
                raise ValueError(
                    _("Action {id}, {shell} command: unknown placeholder {{{name}}}.").format(
                        id=self.id, shell=shell, name=unknown[0]
                    )
                )
        if self.parser is not None and not callable(self.parser):
            raise ValueError(_("Action {id}: the parser is not callable.").format(id=self.id))
        if not self.timeout > 0:
            raise ValueError(_("Action {id}: the timeout must be positive.").format(id=self.id))
        if self.attachment and not _ATTACHMENT_NAME.fullmatch(self.attachment):
            raise ValueError(
                _("Action {id}: the attachment must be a plain file name, like running-config.txt.").format(id=self.id)
            )

    def applies_to(self, os_family: str, vendor: str = "") -> bool:
        """Whether the action is meant for a host of this OS family and vendor."""
        if os_family.lower() not in self.os_families:
            return False
        return not self.vendors or vendor.lower() in self.vendors

    def validate_arguments(self, arguments: Mapping[str, object] | None = None) -> dict[str, Value]:
        """Every parameter's converted value, or ParameterError for the first one refused or unknown."""
        arguments = dict(arguments or {})
        known = {parameter.name for parameter in self.parameters}
        for name in arguments:
            if name not in known:
                raise ParameterError(
                    name,
                    _("Action {id} has no parameter {name!r}; its parameters are: {names}.").format(
                        id=self.id, name=name, names=", ".join(sorted(known)) or _("none")
                    ),
                )
        return {parameter.name: parameter.validate(arguments.get(parameter.name)) for parameter in self.parameters}

    def shell_for(self, shells: Sequence[str]) -> str:
        """The first of a target's shells (its preferred one first) that this action has a command for."""
        for shell in shells:
            if shell in self.commands:
                return shell
        raise ActionError(
            _("Action {id} has no command for {shells}; it has one for: {available}.").format(
                id=self.id, shells=" or ".join(shells), available=", ".join(self.commands)
            )
        )

    def command_for(self, shell: str, arguments: Mapping[str, object] | None = None) -> str:
        """The command line for `shell`, each placeholder replaced by its validated value quoted for that shell."""
        template = self.commands.get(shell)
        if template is None:
            raise ActionError(
                _("Action {id} has no command for {shell}; it has one for: {shells}.").format(
                    id=self.id, shell=shell, shells=", ".join(self.commands)
                )
            )
        values = self.validate_arguments(arguments)
        quoted: dict[str, str] = {}
        for parameter in self.parameters:
            try:
                quoted[parameter.name] = quote_for(shell, argument_text(values[parameter.name]))
            except QuotingError as error:
                raise parameter.error(str(error)) from None
        # format_map reads the template only; the quoted values are inserted as they are and never parsed again.
        return template.format_map(quoted)

    def parse(self, output: str) -> Table | None:
        """The parser's table for this output (None without a parser); ParseError whatever went wrong in it."""
        if self.parser is None:
            return None
        try:
            table = self.parser(output)
        except ParseError:
            raise
        except Exception as error:  # a plugin's parser must not take the app down: its bug becomes a parse failure
            raise ParseError(
                _("The parser of {id} failed: {error}").format(id=self.id, error=f"{type(error).__name__}: {error}")
            ) from error
        if not isinstance(table, Table):
            raise ParseError(_("The parser of {id} did not return a table.").format(id=self.id))
        return table
