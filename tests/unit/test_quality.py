"""Checks on the repository itself: compiled forms, translations, and CI running the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

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


PLUGIN_DOMAINS = catalogs.plugin_domains()


def test_every_first_party_plugin_has_its_catalog_shipped() -> None:
    assert {domain.name for domain in PLUGIN_DOMAINS} == {
        "supportstation_cisco_ios",
        "supportstation_linux_diag",
        "supportstation_redfish_bmc",
        "supportstation_windows_diag",
    }
    for domain in PLUGIN_DOMAINS:
        project = (domain.sources.parent / "pyproject.toml").read_text(encoding="utf-8")
        assert '"locale/*/LC_MESSAGES/*.mo"' in project, f"{domain.name}: the .mo is not package data"
        assert domain.po_path("fr").exists(), f"{domain.name} has no French catalog"


@pytest.mark.parametrize("domain", PLUGIN_DOMAINS, ids=lambda domain: domain.name)
def test_every_plugin_string_has_a_french_translation(domain: catalogs.Domain) -> None:
    """Titles, descriptions, labels, column headers, notes, errors: what a plugin marks with _ or N_."""
    assert catalogs.untranslated("fr", domain) == []


@pytest.mark.parametrize("domain", PLUGIN_DOMAINS, ids=lambda domain: domain.name)
def test_the_compiled_plugin_catalogs_are_current(domain: catalogs.Domain) -> None:
    assert not catalogs.stale_mo("fr", domain)


def test_plugin_translations_keep_their_placeholders() -> None:
    """A {placeholder} lost or renamed in French would raise KeyError when the note is formatted."""
    import string

    def fields(text: str) -> list[str]:
        return sorted(name for _text, name, _spec, _conversion in string.Formatter().parse(text) if name is not None)

    wrong = []
    for domain in PLUGIN_DOMAINS:
        for message in catalogs.load("fr", domain):
            if not message.id:
                continue
            # A plural's French forms are both checked against its English plural form.
            english_forms = message.id if isinstance(message.id, tuple) else (message.id,)
            french_forms = message.string if isinstance(message.string, tuple) else (message.string,)
            wrong += [
                f"{domain.name}: {french!r}" for french in french_forms if fields(english_forms[-1]) != fields(french)
            ]
    assert wrong == []


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
    sources = [*(ROOT / "supportstation").rglob("*.py"), *(ROOT / "plugins").glob("*/*/*.py")]
    for source in sorted(sources):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "_":
                        hidden.append(f"{source.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []
