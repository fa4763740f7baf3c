"""The procedures SupportStation ships (the starter set and the linux-diag and windows-diag plugins' procedures):
each is a valid, bilingual, documented file whose steps have commands for the systems it applies to, whose texts
only name values that are always there, whose PowerShell fits on one command line and is answered by the WinRM
simulator; and the library lists each with where it comes from."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from supportstation import paths
from supportstation.plugin_api.actions import template_placeholders
from supportstation.plugins import PluginRegistry
from supportstation.procedures.files import load
from supportstation.procedures.library import PLUGIN, STARTER, open_library
from supportstation.procedures.model import Procedure
from supportstation.procedures.templates import preview, resolve_parameters
from supportstation.remote.powershell import encoded_command
from tests.procedures.starter_lab import LINUX, STARTERS, WINDOWS

EXPECTED = {
    "network.reachability": (STARTER, ""),
    "network.tls-certificate": (STARTER, ""),
    "linux.disk-full": (PLUGIN, "linux-diag"),
    "linux.service-restart": (PLUGIN, "linux-diag"),
    "linux.collect-logs": (PLUGIN, "linux-diag"),
    "linux.memory-pressure": (PLUGIN, "linux-diag"),
    "windows.print-spooler-reset": (PLUGIN, "windows-diag"),
    "windows.disk-cleanup-check": (PLUGIN, "windows-diag"),
    "windows.update-status": (PLUGIN, "windows-diag"),
    "windows.stuck-user-profile": (PLUGIN, "windows-diag"),
}
SHELLS = {"linux": "sh", "windows": "powershell"}  # the shell every host of that system can run
# Values for the parameters that have no default, to fill the commands in.
SAMPLES = {"destination": "srv-app1.example.fr", "server": "intranet.example.fr", "service": "nginx", "user": "jdupont"}
FILES = sorted([*STARTERS.glob("*.yaml"), *LINUX.glob("*.yaml"), *WINDOWS.glob("*.yaml")])


def shipped(path: Path) -> Procedure:
    return load(path).procedure


FOR_WINDOWS = [path for path in FILES if "windows" in shipped(path).applies_to.os]


def test_the_shipped_set_is_complete() -> None:
    assert sorted(shipped(path).id for path in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_procedure_is_documented_in_both_languages(path: Path) -> None:
    procedure = shipped(path)
    assert path.read_text(encoding="utf-8").startswith("# "), "a comment first says what the procedure is for"
    for text in (procedure.title, procedure.description):
        assert isinstance(text, dict) and text.get("fr") and text.get("en"), text
    assert procedure.tags and procedure.applies_to.os
    for step in procedure.steps:
        for text in (step.title, step.instruction, step.note, step.confirm.text if step.confirm else None):
            if text is not None:
                assert isinstance(text, dict) and text.get("fr") and text.get("en"), (step.id, text)
    for parameter in procedure.parameters:
        assert isinstance(parameter.label, dict) and parameter.label.get("fr") and parameter.label.get("en")
    assert procedure.steps[-1].note is not None, "a final note says what was found, for the report"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_command_step_has_a_command_for_every_system_it_applies_to(path: Path) -> None:
    procedure = shipped(path)
    wanted = {SHELLS[system] for system in procedure.applies_to.os}
    for step in procedure.steps:
        if step.run is not None:
            assert wanted <= set(step.run.commands()), (step.id, wanted)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_texts_name_only_values_that_are_always_there(path: Path) -> None:
    # A value captured by a step that may not run (a `when:`) would leave a later command or note without it.
    procedure = shipped(path)
    always = {parameter.name for parameter in procedure.parameters}
    for step in procedure.steps:
        for where, template in step.templates():
            missing = set(template_placeholders(template)) - always
            assert not missing, f"{step.id} {where}: {sorted(missing)} may have no value"
        if step.when is None:
            always |= step.variables_set()


@pytest.mark.parametrize("path", FOR_WINDOWS, ids=lambda path: path.name)
def test_each_powershell_script_fits_on_one_command_line(path: Path) -> None:
    procedure = shipped(path)
    given = {spec.name: SAMPLES[spec.name] for spec in procedure.parameters if spec.default is None and spec.required}
    for line in preview(procedure, resolve_parameters(procedure, given), ["powershell"]):
        if line.shell == "powershell":
            encoded_command(line.text)  # ScriptTooLong past cmd.exe's 8191 characters


def test_the_simulator_answers_every_windows_script_of_the_plugin() -> None:
    if not os.environ.get("CI"):
        pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
    from winrm_simulator.procedure_answers import SCENARIOS

    answered = {key for scenario in SCENARIOS.values() for key in scenario}
    markers = set()
    for path in [*WINDOWS.glob("*.yaml"), STARTERS / "tls-certificate.yaml"]:
        procedure = shipped(path)
        for step in procedure.steps:
            if step.run is not None and step.run.powershell is not None:
                first = step.run.powershell.splitlines()[0]
                found = re.fullmatch(r"# ([\w.-]+): (.+)", first)
                assert found and found.group(1) == procedure.id, f"{procedure.id} {step.id}: {first!r}"
                markers.add((found.group(1), found.group(2)))
    assert markers == answered


def test_the_library_lists_each_with_its_origin(app_paths: paths.AppPaths) -> None:
    registry = PluginRegistry()
    registry.load()
    library = open_library(app_paths, registry)
    assert [entry.path for entry in library.entries if not entry.valid] == []
    for procedure_id, (kind, plugin) in EXPECTED.items():
        entry = library.find(procedure_id)
        assert entry is not None, procedure_id
        assert (entry.origin.kind, entry.origin.name) == (kind, plugin), procedure_id
        assert entry.shadowed_by is None
    assert library.find("linux.disk-full").origin.label() == "plugin linux-diag"  # type: ignore[union-attr]
    assert {entry.id for entry in library.search("spouleur")} == {"windows.print-spooler-reset"}
    assert {"linux", "windows", "réseau"} <= set(library.tags())
