"""The procedure format: valid files load, every mistake is reported with its file, line and field, comments survive
a save, conditions cannot run code, and previews show the exact commands, quoted for each shell."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from supportstation.plugin_api.actions import ParameterError
from supportstation.procedures import files
from supportstation.procedures.conditions import ConditionError, StepOutcome, evaluate
from supportstation.procedures.files import ProcedureError, parse
from supportstation.procedures.templates import SECRET_MASK, TemplateError, preview, resolve_parameters
from tests.conftest import ROOT

STARTERS = sorted((ROOT / "resources" / "procedures").glob("*.yaml"))

MINIMAL = """\
id: test.minimal
title: {fr: Essai, en: Test}
steps:
  - id: hello
    run:
      sh: echo hello
"""


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ProcedureError) as raised:
        parse(textwrap.dedent(text), "broken.yaml")
    return [(problem.line, problem.field, problem.message) for problem in raised.value.problems]


@pytest.mark.parametrize("path", STARTERS, ids=lambda path: path.name)
def test_the_starter_procedures_are_valid(path: Path) -> None:
    document = files.load(path)
    assert document.procedure.title_in("fr") and document.procedure.title_in("en")


def test_a_minimal_procedure_loads() -> None:
    procedure = parse(MINIMAL).procedure
    assert procedure.id == "test.minimal" and [step.kind for step in procedure.steps] == ["run"]
    assert procedure.steps[0].run.expect.exit_codes == [0] and procedure.steps[0].run.on_failure == "stop"


def test_malformed_yaml_names_the_line() -> None:
    [(line, field, message)] = problems_of("id: x.y\ntitle: t\nsteps:\n  - id: a\n    run: {sh: 'echo\n")
    assert line is not None and line >= 5 and field == "" and "not valid YAML" in message


def test_a_misspelt_key_names_its_line_and_field() -> None:
    found = problems_of(MINIMAL + "      timout: 3\n")
    assert found == [(7, "steps.0.run.timout", "unknown key (misspelt, or not allowed here).")]


def test_a_step_with_no_kind_or_two_kinds_is_refused() -> None:
    found = problems_of(MINIMAL + "  - id: two\n    note: a\n    instruction: b\n  - id: none\n    title: t\n")
    assert [(line, field) for line, field, _message in found] == [(7, "steps.1"), (10, "steps.2")]
    assert "exactly one of" in found[0][2] and "instruction, note" in found[0][2] and "none" in found[1][2]


def test_an_unknown_step_type_is_an_unknown_key() -> None:
    [(line, field, message)] = problems_of(MINIMAL + "  - id: reboot\n    reboot: now\n")
    assert (line, field) == (8, "steps.1.reboot") and "unknown key" in message


def test_an_invalid_regex_names_its_field() -> None:
    text = MINIMAL + "      expect:\n        stdout_matches: '(unclosed'\n"
    [(line, field, message)] = problems_of(text)
    assert (line, field) == (8, "steps.0.run.expect.stdout_matches") and "invalid regular expression" in message


def test_placeholders_must_name_a_parameter_or_an_earlier_variable() -> None:
    [(_line, _field, message)] = problems_of(
        MINIMAL.replace("echo hello", "echo {later}")
        + """\
  - id: ask
    prompt: {variable: later, question: Which?}
"""
    )
    assert "step 1 (hello), run.sh: {later} is no parameter nor a variable set by an earlier step" in message
    assert (
        parse(
            MINIMAL.replace("echo hello", "echo hi")
            + """\
  - id: ask
    prompt: {variable: later, question: Which?}
  - id: use
    run: {sh: 'echo {later}'}
"""
        )
        .procedure.steps[2]
        .run
        is not None
    )


def test_conditions_refer_to_earlier_steps_and_known_names_only() -> None:
    [(_l, _f, message)] = problems_of(MINIMAL + "  - id: b\n    when: steps.c.passed\n    note: x\n")
    assert "steps.c is not an earlier step" in message
    [(_l, _f, message)] = problems_of(MINIMAL + "  - id: b\n    when: unknown_name > 3\n    note: x\n")
    assert "unknown_name is no parameter" in message
    [(line, field, message)] = problems_of(MINIMAL + "  - id: b\n    when: __import__('os').system('x')\n    note: x\n")
    assert field == "steps.1.when" and line == 8 and "Call" in message


def test_raw_parameters_need_a_pattern_that_refuses_shell_syntax() -> None:
    head = "id: t.raw\ntitle: t\nparameters:\n  - name: flags\n    raw: true\n"
    steps = "steps:\n  - id: a\n    run: {sh: 'ls {flags}'}\n"
    [(line, field, message)] = problems_of(head + steps)
    assert (line, field) == (4, "parameters.0") and "needs a pattern" in message
    [(_l, _f, message)] = problems_of(head + "    pattern: '.*'\n" + steps)
    assert "must refuse shell syntax" in message
    procedure = parse(head + "    pattern: '-[a-zA-Z]+'\n" + steps).procedure
    [line] = preview(procedure, resolve_parameters(procedure, {"flags": "-la"}), ["sh"])
    assert line.text == "ls -la"  # inserted as it is: the pattern allowed it
    # A captured value may not take a raw parameter's name: it would be inserted unquoted, unchecked.
    capture = "  - id: b\n    run: {sh: 'echo x', capture: {flags: {regex: '(.*)'}}}\n"
    [(_l, _f, message)] = problems_of(head + "    pattern: '-[a-zA-Z]+'\n" + steps + capture)
    assert "the variable flags has the name of a parameter" in message


def test_hosts_must_be_the_ticket_all_or_a_host_parameter() -> None:
    [(_l, _f, message)] = problems_of(MINIMAL + "      hosts: srv-01\n")
    assert "neither 'ticket', 'all' nor a parameter of type host" in message
    assert parse(MINIMAL + "      hosts: all\n").procedure.steps[0].run.hosts == "all"


def test_a_save_keeps_comments_and_key_order(tmp_path: Path) -> None:
    source = "# Why this procedure exists\n" + MINIMAL.replace("echo hello", "echo hello  # greet")
    path = tmp_path / "p.yaml"
    path.write_text(source)
    document = files.load(path)
    document.data["version"] = 2
    files.save(document, path)
    saved = path.read_text()
    assert saved.startswith("# Why this procedure exists\nid: test.minimal\n")
    assert "echo hello  # greet" in saved and saved.rstrip().endswith("version: 2")
    assert files.load(path).procedure.version == 2


def test_a_save_that_would_not_read_back_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MINIMAL)
    document = files.load(path)
    document.data["steps"] = []
    with pytest.raises(ProcedureError, match="steps"):
        files.save(document, path)
    assert path.read_text() == MINIMAL and not list(tmp_path.glob("*.partial"))


def test_conditions_compare_captured_text_as_numbers_and_read_step_outcomes() -> None:
    steps = {"check": StepOutcome(failed=True, exit_code=3)}
    assert evaluate("used >= 90 and steps.check.failed", {"used": "93"}, steps)
    assert not evaluate("used >= 90", {"used": " 7 "}, steps)
    assert evaluate("steps.check.exit_code in [1, 3] and not steps.later.passed", {}, steps)
    assert evaluate("mode == 'fast' or mode == 'slow'", {"mode": "slow"}, {})
    with pytest.raises(ConditionError, match="has no value"):
        evaluate("missing == 1", {}, {})
    with pytest.raises(ConditionError, match=r"Lambda|Call"):
        evaluate("(lambda: 1)()", {}, {})
    with pytest.raises(ConditionError, match="only steps"):
        evaluate("mode.__class__", {"mode": "x"}, {})


PARAMETERS = """\
id: test.quoting
title: t
parameters:
  - {name: path, type: string}
  - {name: password, type: secret, required: false}
  - {name: count, type: integer, default: 3}
steps:
  - id: show
    run:
      sh: ls -l -- {path} && echo {count}
      powershell: Get-Item -LiteralPath {path}
      cmd: dir {path}
  - id: login
    run: {sh: 'login {password}'}
"""


def test_the_preview_quotes_for_each_shell_and_masks_secrets() -> None:
    procedure = parse(PARAMETERS).procedure
    values = resolve_parameters(procedure, {"path": "/tmp/l'été $(reboot)", "password": "hunter2"})
    sh = preview(procedure, values, ["sh"])
    assert sh[0].text == "ls -l -- '/tmp/l'\"'\"'été $(reboot)' && echo 3"
    assert sh[1].text == f"login {SECRET_MASK}" and "hunter2" not in str(sh)
    powershell = preview(procedure, values, ["powershell", "cmd"])
    assert powershell[0].text == "Get-Item -LiteralPath '/tmp/l''été $(reboot)'" and powershell[0].shell == "powershell"
    assert "no command for powershell or cmd" in powershell[1].text
    cmd = resolve_parameters(procedure, {"path": "C:\\100%"})
    with pytest.raises(TemplateError, match=r"show.*'%'"):
        preview(procedure, cmd, ["cmd"])


def test_parameters_are_checked_before_anything_runs() -> None:
    procedure = parse(PARAMETERS).procedure
    with pytest.raises(ParameterError, match="a value is required"):
        resolve_parameters(procedure, {})
    with pytest.raises(ParameterError, match="no parameter 'paht'"):
        resolve_parameters(procedure, {"paht": "/"})
    with pytest.raises(ParameterError, match="whole number"):
        resolve_parameters(procedure, {"path": "/", "count": "three"})


def test_checks_read_windows_output_as_patterns_expect_it() -> None:
    from supportstation.clock import utc_now
    from supportstation.procedures.checks import capture_values, check_result
    from supportstation.procedures.model import Capture, Expect
    from supportstation.remote.results import Chunk, RunResult, RunState, Stream

    result = RunResult(target="winrm", command="x", started_at=utc_now(), state=RunState.SUCCEEDED, exit_code=0)
    result.output.append(Chunk(Stream.STDOUT, "\ufeffSpooler: Running\r\nJobs: 3\r\n".encode(), 0.0))
    checks = check_result(Expect(stdout_matches="^Spooler: Running$"), result)
    assert [check.passed for check in checks] == [True, True]
    assert capture_values({"jobs": Capture(regex=r"^Jobs: (.*)$")}, result) == {"jobs": "3"}


def test_a_step_without_title_is_named_by_its_kind_in_the_language_asked() -> None:
    """A report in French names an untitled consent step in French, whatever the interface's language."""
    document = parse(
        textwrap.dedent("""\
        id: test.untitled
        title: {fr: Essai, en: Test}
        steps:
          - id: consent
            confirm:
              text: {fr: Le client accepte., en: The customer agrees.}
        """),
        "untitled.yaml",
    )
    [step] = document.procedure.steps
    assert step.label("fr") == "Accord du client"
    assert step.label("en") == "Customer's consent"
