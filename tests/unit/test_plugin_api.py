"""The plugin contribution types: parameters, actions and their commands, tables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from supportstation.plugin_api import (
    API_VERSION,
    Action,
    ActionError,
    Parameter,
    ParameterError,
    ParameterType,
    ParseError,
    Table,
)


def action(**changes: object) -> Action:
    fields: dict[str, object] = {
        "id": "test.echo",
        "title": "Echo",
        "description": "Prints its argument.",
        "category": "Test",
        "commands": {"sh": "printf %s {text}", "powershell": "Write-Output {text}", "cmd": "echo {text}"},
        "os_families": ("linux", "windows"),
        "parameters": (Parameter("text", ParameterType.STRING, "Text"),),
    }
    fields.update(changes)
    return Action(**fields)  # type: ignore[arg-type]


def test_api_version() -> None:
    assert API_VERSION == 1


# -- parameters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        (ParameterType.STRING, "a b", "a b"),
        (ParameterType.SECRET, "p@ss w0rd", "p@ss w0rd"),
        (ParameterType.INTEGER, 42, 42),
        (ParameterType.INTEGER, " -7 ", -7),
        (ParameterType.BOOLEAN, True, True),
        (ParameterType.BOOLEAN, "Yes", True),
        (ParameterType.BOOLEAN, "off", False),
        (ParameterType.HOST, "srv-01.example.com", "srv-01.example.com"),
        (ParameterType.HOST, "192.0.2.1", "192.0.2.1"),
        (ParameterType.HOST, "fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_values_are_converted_to_the_parameter_type(kind: ParameterType, given: object, expected: object) -> None:
    assert Parameter("value", kind, "Value").validate(given) == expected


@pytest.mark.parametrize(
    ("parameter", "given", "message"),
    [
        (Parameter("count", ParameterType.INTEGER, "Count"), "ten", "expected a whole number"),
        (Parameter("count", ParameterType.INTEGER, "Count"), True, "expected a whole number"),
        (Parameter("count", ParameterType.INTEGER, "Count"), 1.5, "expected a whole number"),
        (Parameter("flag", ParameterType.BOOLEAN, "Flag"), "maybe", "expected yes or no"),
        (Parameter("host", ParameterType.HOST, "Host"), "-oProxyCommand=id", "not a host name"),
        (Parameter("host", ParameterType.HOST, "Host"), "a host", "not a host name"),
        (Parameter("shell", ParameterType.CHOICE, "Shell", choices=("bash", "zsh")), "fish", "not one of bash, zsh"),
        (Parameter("text", ParameterType.STRING, "Text"), 12, "expected text"),
        (Parameter("unit", ParameterType.STRING, "Unit", pattern=r"[\w@.-]+\.service"), "sshd", "expected form"),
        (Parameter("text", ParameterType.STRING, "Text"), None, "a value is required"),
        (Parameter("text", ParameterType.STRING, "Text"), "", "a value is required"),
    ],
)
def test_refused_values_name_the_parameter(parameter: Parameter, given: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as raised:
        parameter.validate(given)
    assert isinstance(raised.value, ValueError)
    assert raised.value.parameter == parameter.name
    assert str(raised.value).startswith(f"{parameter.label} ({parameter.name}): ")


def test_a_refused_secret_is_never_repeated() -> None:
    secret = Parameter("password", ParameterType.SECRET, "Password", pattern=r"\S+")
    with pytest.raises(ParameterError) as raised:
        secret.validate("hunter 2")
    assert "hunter" not in str(raised.value)


def test_defaults_and_optional_parameters() -> None:
    assert Parameter("hours", ParameterType.INTEGER, "Hours", default=24).validate(None) == 24
    assert Parameter("hours", ParameterType.INTEGER, "Hours", default=24).validate("") == 24
    assert Parameter("note", ParameterType.STRING, "Note", required=False).validate(None) is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"name": "Bad Name", "type": ParameterType.STRING, "label": "X"},
        {"name": "x", "type": "colour", "label": "X"},
        {"name": "x", "type": ParameterType.CHOICE, "label": "X"},
        {"name": "x", "type": ParameterType.STRING, "label": "X", "choices": ("a",)},
        {"name": "x", "type": ParameterType.STRING, "label": "X", "pattern": "("},
        {"name": "x", "type": ParameterType.INTEGER, "label": "X", "default": "many"},
    ],
)
def test_a_badly_defined_parameter_fails_when_defined(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Parameter(**arguments)  # type: ignore[arg-type]


def test_a_parameter_type_may_be_given_as_text() -> None:
    assert Parameter("x", "integer", "X").type is ParameterType.INTEGER  # type: ignore[arg-type]


# -- actions -------------------------------------------------------------------------------------------------------


def test_applies_to_os_family_and_vendor_without_regard_to_case() -> None:
    generic = action(os_families=("Linux",))
    assert generic.applies_to("linux", "") and generic.applies_to("LINUX", "synology")
    assert not generic.applies_to("windows", "")
    nas = action(os_families=("linux",), vendors=("Synology", "qnap"))
    assert nas.applies_to("linux", "synology") and nas.applies_to("Linux", "QNAP")
    assert not nas.applies_to("linux", "") and not nas.applies_to("linux", "dell")


INJECTIONS = [
    "; rm -rf /",
    "$(touch {marker})",
    "`touch {marker}`",
    "a' ; touch {marker} ; echo '",
    "x\ntouch {marker}",
]


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_a_parameter_stays_one_argument_in_a_real_shell(attempt: str, tmp_path: Path) -> None:
    marker = tmp_path / "injected"
    value = attempt.format(marker=marker)
    command = action().command_for("sh", {"text": value})
    printed = subprocess.run(["/bin/sh", "-c", command], capture_output=True, check=True, timeout=10).stdout
    assert printed == value.encode()
    assert not marker.exists()


def test_command_for_quotes_for_each_shell() -> None:
    echo = action()
    assert echo.command_for("sh", {"text": "a b"}) == "printf %s 'a b'"
    assert echo.command_for("powershell", {"text": "it's"}) == "Write-Output 'it''s'"
    assert echo.command_for("cmd", {"text": "a & b"}) == 'echo "a & b"'


def test_command_for_fills_defaults_and_writes_booleans_as_words() -> None:
    listing = action(
        commands={"sh": "ls {all} {{literal}} -n {count}"},
        parameters=(
            Parameter("all", ParameterType.BOOLEAN, "All", default=False),
            Parameter("count", ParameterType.INTEGER, "Count", default=10),
        ),
    )
    assert listing.command_for("sh") == "ls false {literal} -n 10"
    assert listing.command_for("sh", {"all": "yes", "count": "3"}) == "ls true {literal} -n 3"


def test_command_for_refuses_a_missing_shell_and_unknown_arguments() -> None:
    linux_only = action(commands={"sh": "printf %s {text}"}, os_families=("linux",))
    with pytest.raises(ActionError, match="no command for powershell"):
        linux_only.command_for("powershell", {"text": "x"})
    with pytest.raises(ParameterError, match="no parameter 'txt'"):
        linux_only.command_for("sh", {"txt": "x"})
    with pytest.raises(ParameterError, match="a value is required"):
        linux_only.command_for("sh", {})


def test_command_for_turns_a_value_the_shell_cannot_take_into_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match=r"Text \(text\): .*'%'") as raised:
        action().command_for("cmd", {"text": "100%"})
    assert raised.value.parameter == "text"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "NoDots"}, "dotted"),
        ({"id": "linux."}, "dotted"),
        ({"title": ""}, "no title"),
        ({"commands": {}}, "no command"),
        ({"commands": {"Power Shell": "ls"}}, "unknown shell"),
        ({"commands": {"sh": "ls {path}"}}, "unknown placeholder {path}"),
        ({"commands": {"sh": "awk '{print $1}'"}}, "not a plain parameter name"),
        ({"commands": {"sh": "printf {text!r}"}}, "not a plain parameter name"),
        ({"commands": {"sh": "printf {text:>9}"}}, "not a plain parameter name"),
        ({"commands": {"sh": "printf {}"}}, "not a plain parameter name"),
        ({"commands": {"sh": "printf {text"}}, "Unbalanced braces"),
        ({"os_families": ()}, "no OS family"),
        ({"parameters": (Parameter("a", "string", "A"), Parameter("a", "string", "A"))}, "same name"),
        ({"parser": "not callable"}, "not callable"),
        ({"timeout": 0}, "positive"),
    ],
)
def test_a_badly_defined_action_fails_when_defined(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        action(**changes)


def test_actions_are_immutable_and_hashable() -> None:
    echo = action()
    with pytest.raises(AttributeError):
        echo.id = "other.id"  # type: ignore[misc]
    with pytest.raises(TypeError):
        echo.commands["sh"] = "reboot"  # type: ignore[index]
    assert {echo: 1}[action()] == 1


# -- parsing -------------------------------------------------------------------------------------------------------


def test_parse_returns_the_parser_table() -> None:
    table = Table(("A", "B"), [["1", "2"]], ["note"])
    assert action(parser=lambda output: table).parse("x") == Table(("A", "B"), (("1", "2"),), ("note",))
    assert action().parse("x") is None


def test_parse_turns_any_parser_failure_into_a_parse_error() -> None:
    def crashing(output: str) -> Table:
        return Table(("A",), [[output.split()[5]]])

    with pytest.raises(ParseError, match="IndexError"):
        action(parser=crashing).parse("too short")
    with pytest.raises(ParseError, match="did not return a table"):
        action(parser=lambda output: [output]).parse("x")
    with pytest.raises(ParseError, match="clear message"):
        action(parser=lambda output: (_ for _ in ()).throw(ParseError("clear message"))).parse("x")


def test_a_table_row_must_fit_the_columns() -> None:
    with pytest.raises(ValueError, match="Row 2 has 1 cells for 2 columns"):
        Table(("A", "B"), (("1", "2"), ("3",)))
