"""Checks on the repository itself: compiled forms, translations, and CI running the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import compile_forms
import i18n as catalogs


def test_compiled_forms_are_current() -> None:
    assert compile_forms.stale_forms() == []


def test_every_user_visible_string_has_a_french_translation() -> None:
    assert catalogs.untranslated("fr") == []


def test_the_compiled_french_catalog_is_current() -> None:
    assert not catalogs.stale_mo("fr")


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section, re.S)
    assert block, "the Quick start section needs one code block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "--demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_bootstrap_script_is_valid_shell() -> None:
    assert subprocess.run(["sh", "-n", str(ROOT / "tools" / "bootstrap")]).returncode == 0


def test_no_translated_string_hides_inside_an_f_string() -> None:
    """Babel's extractor does not look inside f-strings: a `_()` there would never reach the catalog."""
    import ast

    hidden = []
    for source in sorted((ROOT / "supportstation").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "_":
                        hidden.append(f"{source.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []
