"""The editor's changes to a procedure document: steps and parameters added, removed, moved; fields and bilingual
texts set; comments and key order kept; every result still a valid procedure that reads back the same."""

from __future__ import annotations

import pytest

from supportstation.procedures import editing
from supportstation.procedures.files import parse
from supportstation.procedures.model import STEP_KINDS

SOURCE = """\
# Disk full on a Linux server: written by the team
id: linux.disk-full
version: 2
title: {fr: Disque plein, en: Disk full}
tags: [linux, disque]
parameters:
  - name: path
    type: string
    label: {fr: Dossier, en: Folder}  # where the alert points
steps:
  - id: explain
    instruction: Ask which application complained.
  - id: usage  # the one that matters
    title: {fr: Occupation, en: Usage}
    run:
      sh: df -h {path}
      timeout: 30
  - id: done
    note: {fr: Terminé, en: Done}
"""


def document():  # type: ignore[no-untyped-def]
    return parse(SOURCE).data


def reads_back(data) -> str:  # type: ignore[no-untyped-def]
    text = editing.to_text(data)
    parse(text)  # still a valid procedure
    return text


def test_the_text_of_an_untouched_document_is_the_text_read() -> None:
    assert editing.to_text(document()) == SOURCE


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_a_new_step_of_each_kind_is_valid_and_goes_where_asked(kind: str) -> None:
    data = document()
    index = editing.add_step(data, kind, after=0, action_id="linux.disk_usage")
    assert index == 1
    text = reads_back(data)
    procedure = parse(text).procedure
    assert procedure.steps[1].kind == kind
    assert procedure.steps[1].id not in {"explain", "usage", "done"}
    assert "# the one that matters" in text and "# where the alert points" in text


def test_step_ids_and_prompt_variables_are_never_taken_twice() -> None:
    data = document()
    first, second = editing.add_step(data, "run"), editing.add_step(data, "run")
    assert [editing.get(data, ("steps", i, "id")) for i in (first, second)] == ["check", "check-2"]
    editing.add_step(data, "prompt")
    editing.add_step(data, "prompt")
    procedure = parse(reads_back(data)).procedure
    assert [s.prompt.variable for s in procedure.steps if s.prompt] == ["answer", "answer_2"]


def test_moving_removing_and_duplicating_steps_keeps_their_comments() -> None:
    data = document()
    assert editing.move_step(data, 1, 0) == 0
    assert editing.step_ids(data) == ["usage", "explain", "done"]
    assert editing.move_step(data, 0, 99) == 2  # clamped to the end
    assert editing.step_ids(data) == ["explain", "done", "usage"]
    text = reads_back(data)
    assert "- id: usage  # the one that matters" in text
    copy_index = editing.duplicate_step(data, 2)
    assert editing.step_ids(data) == ["explain", "done", "usage", "usage-2"]
    assert editing.get(data, ("steps", copy_index, "run", "sh")) == "df -h {path}"
    editing.remove_step(data, 1)
    assert editing.step_ids(data) == ["explain", "usage", "usage-2"]
    reads_back(data)


def test_a_field_the_form_adds_goes_in_the_documented_order_and_an_emptied_mapping_goes() -> None:
    data = document()
    editing.set_value(data, ("steps", 1, "when"), "path != ''")
    editing.set_value(data, ("steps", 1, "run", "expect", "stdout_matches"), "^/")
    editing.set_value(data, ("steps", 1, "run", "on_failure"), "ask")
    editing.set_value(data, ("steps", 1, "run", "powershell"), "Get-PSDrive")
    step = editing.get(data, ("steps", 1))
    assert list(step) == ["id", "title", "when", "run"]
    assert list(step["run"]) == ["sh", "powershell", "timeout", "expect", "on_failure"]
    reads_back(data)
    editing.set_value(data, ("steps", 1, "run", "expect", "stdout_matches"), None)
    assert "expect" not in step["run"]
    editing.set_value(data, ("steps", 1, "run", "timeout"), None)
    assert list(step["run"]) == ["sh", "powershell", "on_failure"]


def test_values_keep_their_quotes_and_a_multi_line_command_is_a_block() -> None:
    data = parse(SOURCE.replace("sh: df -h {path}", "sh: 'df -h {path}'")).data
    editing.set_value(data, ("steps", 1, "run", "sh"), "du -sh {path}")
    assert "sh: 'du -sh {path}'" in editing.to_text(data)
    editing.set_value(data, ("steps", 1, "run", "sh"), "cd {path}\ndu -sh .")
    text = reads_back(data)
    assert "sh: |-\n        cd {path}\n        du -sh ." in text
    editing.set_value(data, ("steps", 1, "run", "cmd"), "{path} starts with a brace")
    assert parse(reads_back(data)).procedure.steps[1].run.cmd == "{path} starts with a brace"


def test_a_long_command_stays_on_one_line() -> None:
    data = document()
    long_command = "find {path} -xdev -type f -size +100M -printf '%s %p\\n' | sort -rn | head -20 " * 3
    editing.set_value(data, ("steps", 1, "run", "sh"), long_command.strip())
    assert long_command.strip() in editing.to_text(data)


def test_bilingual_texts() -> None:
    data = document()
    # A text written once for both languages becomes a pair when one language changes, and stays one while equal.
    editing.set_text(data, ("steps", 0, "instruction"), "en", "Ask which application complained.")
    assert editing.get(data, ("steps", 0, "instruction")) == "Ask which application complained."
    editing.set_text(data, ("steps", 0, "instruction"), "fr", "Demandez quelle application s'est plainte.")
    assert dict(editing.get(data, ("steps", 0, "instruction"))) == {
        "fr": "Demandez quelle application s'est plainte.",
        "en": "Ask which application complained.",
    }
    # One language of a pair emptied: the other stays; both emptied: a title goes, an instruction's text stays "".
    editing.set_text(data, ("title",), "fr", "")
    assert dict(data["title"]) == {"en": "Disk full"}
    editing.set_text(data, ("steps", 1, "title"), "fr", "")
    editing.set_text(data, ("steps", 1, "title"), "en", "")
    assert "title" not in editing.get(data, ("steps", 1))
    editing.set_text(data, ("steps", 2, "note"), "fr", "")
    editing.set_text(data, ("steps", 2, "note"), "en", "", keep=True)
    assert editing.get(data, ("steps", 2, "note")) == ""
    # A new text starts in the language typed, French before English as procedures are written.
    editing.set_text(data, ("description",), "en", "When a disk is full.")
    editing.set_text(data, ("description",), "fr", "Quand un disque est plein.")
    assert list(data["description"]) == ["fr", "en"]
    assert list(data)[:5] == ["id", "version", "title", "description", "tags"]
    reads_back(data)


def test_parameters_and_captures() -> None:
    data = document()
    index = editing.add_parameter(data)
    assert editing.get(data, ("parameters", index, "name")) == "value"
    editing.set_value(data, ("parameters", index, "type"), "choice")
    editing.set_value(data, ("parameters", index, "choices"), ["fast", "full"])
    editing.set_value(data, ("parameters", index, "default"), "fast")
    assert "choices: [fast, full]" in reads_back(data)
    assert editing.move_parameter(data, index, 0) == 0
    assert [p["name"] for p in data["parameters"]] == ["value", "path"]
    name = editing.add_capture(data, 1)
    editing.rename_key(data, ("steps", 1, "run", "capture"), name, "used")
    editing.set_value(data, ("steps", 2, "note", "en"), "{used} used")
    assert parse(reads_back(data)).procedure.steps[1].run.capture["used"].regex == "(.+)"
    second = editing.add_capture(data, 1)
    with pytest.raises(editing.EditingError, match="'used' is already used"):
        editing.rename_key(data, ("steps", 1, "run", "capture"), second, "used")
    editing.remove_parameter(data, 0)
    editing.remove_parameter(data, 0)
    assert "parameters" not in data


def test_hosts_choices_and_variables_known_before_a_step() -> None:
    data = document()
    editing.add_parameter(data)
    editing.set_value(data, ("parameters", 1, "type"), "host")
    assert editing.host_choices(data) == ["ticket", "all", "value"]
    editing.add_capture(data, 1)
    assert editing.variables_before(data, 1) == ["path", "value"]
    assert editing.variables_before(data, 2) == ["path", "value", "value_2"]


def test_step_descriptions_for_the_step_list() -> None:
    data = document()
    assert [editing.describe_step(step, "fr") for step in data["steps"]] == [
        "Ask which application complained.",
        "Occupation",
        "Terminé",
    ]
    assert editing.step_kind(data["steps"][1]) == "run"
    assert editing.describe_step("not a step", "en") == "?"


def test_a_new_procedure_and_a_duplicate_are_valid() -> None:
    new = editing.new_procedure("my.procedure")
    procedure = parse(editing.to_text(new)).procedure
    assert procedure.title_in("fr") == "Nouvelle procédure" and procedure.steps[0].kind == "instruction"
    copied = editing.duplicate(document(), "linux.disk-full-2")
    text = editing.to_text(copied)
    assert parse(text).procedure.title_in("en") == "Disk full (copy)"
    assert text.startswith("# Disk full on a Linux server")
    assert editing.free_id("linux.disk-full", ["linux.disk-full", "linux.disk-full-2"]) == "linux.disk-full-3"
    assert editing.free_id("Mon Dossier!", []) == "mon-dossier"


def test_check_reports_yaml_and_schema_problems_with_their_lines() -> None:
    good = editing.check(SOURCE)
    assert good.procedure is not None and good.problems == []
    broken_yaml = editing.check(SOURCE.replace("timeout: 30", "timeout: [30"))
    assert not broken_yaml.yaml_ok and broken_yaml.problems[0].line is not None
    invalid = editing.check(SOURCE.replace("timeout: 30", "timeout: -1"))
    assert invalid.yaml_ok and invalid.procedure is None
    assert [(p.line, p.field) for p in invalid.problems] == [(17, "steps.1.run.timeout")]


def test_a_document_of_the_wrong_shape_is_refused_clearly() -> None:
    data = parse(SOURCE).data
    data["steps"] = "oops"
    with pytest.raises(editing.EditingError, match="steps: not a list"):
        editing.add_step(data, "run")
    assert editing.steps_of(data) == []


def test_the_library_saves_the_editors_text_as_it_is_and_deletes_only_its_own_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from supportstation.procedures.files import ProcedureError
    from supportstation.procedures.library import Library, LibraryError

    starters = tmp_path / "starters"
    starters.mkdir()
    (starters / "disk.yaml").write_text(SOURCE, encoding="utf-8")
    library = Library(tmp_path / "mine", starters, [])
    text = SOURCE.replace("sh: df -h {path}", "sh: 'df -h {path}'   # odd spacing kept")
    path = library.save_text(text)
    assert path == tmp_path / "mine" / "linux.disk-full.yaml" and path.read_text(encoding="utf-8") == text
    with pytest.raises(LibraryError, match="already exists"):
        library.save_text(text)
    with pytest.raises(ProcedureError):
        library.save_text(text.replace("timeout: 30", "timeout: -1"), replace=True)
    assert path.read_text(encoding="utf-8") == text  # a refused text writes nothing
    entries = library.scan()
    starter = next(entry for entry in entries if entry.origin.kind == "starter")
    with pytest.raises(LibraryError, match="not in your library"):
        library.delete(starter)
    library.delete(next(entry for entry in entries if entry.origin.kind == "user"))
    assert not path.exists() and (starters / "disk.yaml").exists()
