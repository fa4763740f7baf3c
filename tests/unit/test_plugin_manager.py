"""The plugin manager: every import and hook call isolated (exceptions, wrong types, hangs past the time limit),
transports collected, the user plugins folder (pip --target), enable/disable remembered, and the `plugins` commands.

The plugins are real modules and dist-info folders written to a temporary folder (tests/unit/plugin_samples.py), in
an entry point group of their own, except where the installed group itself is the point (pip, the command line).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation import cli, i18n, paths, plugin_calls, plugin_folders, settings
from supportstation.plugin_api import (
    FactCollector,
    Panel,
    ParseError,
    ReportContext,
    ReportRun,
    Transport,
    hookimpl,
    hookspec,
)
from supportstation.plugins import PluginInfo, PluginRegistry, PluginState
from tests.conftest import ROOT

from . import plugin_samples

GROUP = "supportstation.plugins.manager-tests"
LIMIT = 0.5  # seconds: long enough for a well-behaved hook on a busy machine, short enough to keep tests quick


@pytest.fixture
def samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    plugin_samples.write_plugins(folder, GROUP)
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    plugin_samples.release_and_forget()


@pytest.fixture
def restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry appends its user folder to sys.path; the test's folder must not stay there."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    plugin_samples.forget_third_party()


def loaded(**options: object) -> PluginRegistry:
    registry = PluginRegistry(group=GROUP, time_limit=LIMIT, **options)  # type: ignore[arg-type]
    registry.load()
    return registry


def by_name(registry: PluginRegistry) -> dict[str, PluginInfo]:
    return {plugin.name: plugin for plugin in registry.all_plugins()}


# -- isolation --------------------------------------------------------------------------------------------------------


def test_the_good_plugin_keeps_working_whatever_the_others_do(samples: Path) -> None:
    registry = loaded()
    assert [action.id for action in registry.all_actions()] == ["good.one", "good.cli", "rival.ok"]
    assert registry.action_owner("good.cli") == "a-good"
    assert registry.procedure_paths() == [("a-good", samples / "ssmgr_procedures" / "check.yaml")]
    plugins = by_name(registry)
    good = plugins["a-good"]
    assert good.state is PluginState.LOADED and good.error == "" and good.api_version == "1"
    assert (good.counts.actions, good.counts.procedures, good.counts.transports) == (2, 1, 1)
    assert (good.distribution, good.version) == ("sample-plugins", "1.2.3")
    states = {name: plugin.state for name, plugin in plugins.items()}
    assert states == {
        "a-good": "loaded",
        "bad-sections": "loaded",  # until a report asks for its sections
        "extras": "loaded",
        "future-api": "failed",
        "text-api": "failed",
        "garbage": "failed",
        "hangs": "failed",
        "hangs-at-import": "failed",
        "late-failure": "failed",
        "raises-at-import": "failed",
        "raises-in-hook": "failed",
        "refused-at-registration": "failed",
        "rival": "loaded",
    }


def test_each_failure_says_why_with_its_traceback(samples: Path) -> None:
    plugins = by_name(loaded())
    errors = {name: plugin.error for name, plugin in plugins.items()}
    assert "RuntimeError: cannot find libfoo.so" in errors["raises-at-import"]
    assert "ssmgr_raises_at_import.py" in plugins["raises-at-import"].traceback
    assert "Could not register" in errors["refused-at-registration"] and "target" in errors["refused-at-registration"]
    assert "supportstation_actions failed: KeyError: 'config'" in errors["raises-in-hook"]
    assert "Traceback" in plugins["raises-in-hook"].traceback
    assert "returned dict instead of a list of actions" in errors["garbage"]
    assert f"supportstation_actions hung: it had not returned after {LIMIT:g} s" in errors["hangs"]
    assert f"Importing the plugin hung: it had not finished after {LIMIT:g} s" in errors["hangs-at-import"]
    assert "targets plugin API version 2" in errors["future-api"]
    assert plugins["future-api"].api_version == "2"
    assert "SUPPORTSTATION_API must be a whole number such as 1, not '1'" in errors["text-api"]
    assert "ValueError: no procedures folder" in errors["late-failure"]


def test_a_plugin_disabled_by_a_later_hook_leaves_no_contribution_behind(samples: Path) -> None:
    registry = loaded()
    assert registry.find_action("late.one") is None
    assert registry.action_owner("late.one") == ""
    assert "late-failure" not in {plugin.name for plugin in registry.plugins}
    # Unregistered from pluggy: no hook of it is ever called again.
    assert registry.manager.get_plugin("late-failure") is None
    assert "late-failure" not in [name for name, _result in registry.call_hook("supportstation_actions")]


def test_a_hung_hook_costs_the_time_limit_once_then_is_never_called_again(samples: Path) -> None:
    registry = PluginRegistry(
        group=GROUP,
        time_limit=LIMIT,
        entry_points=lambda: [e for e in _entry_points() if e.name in ("a-good", "hangs")],
    )
    registry.load()
    started = time.monotonic()
    assert [action.id for action in registry.all_actions()] == ["good.one", "good.cli"]
    first = time.monotonic() - started
    assert LIMIT <= first < LIMIT + 5
    started = time.monotonic()
    assert [name for name, _result in registry.call_hook("supportstation_actions")] == ["a-good"]
    assert time.monotonic() - started < LIMIT


def _entry_points() -> list:  # type: ignore[type-arg]
    from importlib import metadata

    return list(metadata.entry_points(group=GROUP))


def test_the_time_limit_is_a_module_constant_tests_may_lower(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugin_calls, "HOOK_TIME_LIMIT", 0.2)
    registry = PluginRegistry(group=GROUP, entry_points=lambda: [e for e in _entry_points() if e.name == "hangs"])
    registry.load()
    started = time.monotonic()
    assert registry.all_actions() == []
    assert time.monotonic() - started < 3
    assert "after 0.2 s" in registry.failures[-1].error


def test_a_hung_plugin_does_not_keep_the_process_alive(samples: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(samples)!r})
        from supportstation.plugins import PluginRegistry
        registry = PluginRegistry(group={GROUP!r}, time_limit=0.2)
        registry.load()
        print(len(registry.all_actions()), flush=True)
        """
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    assert time.monotonic() - started < 30


def test_a_disabled_plugin_is_not_even_imported(samples: Path) -> None:
    registry = loaded(disabled={"raises-at-import", "hangs-at-import"})
    plugins = by_name(registry)
    assert plugins["raises-at-import"].state is PluginState.DISABLED
    assert plugins["raises-at-import"].version == "1.2.3"
    assert "ssmgr_raises_at_import" not in sys.modules and "ssmgr_hangs_at_import" not in sys.modules
    assert {failure.name for failure in registry.failures}.isdisjoint({"raises-at-import", "hangs-at-import"})


# -- calls on the GUI thread ------------------------------------------------------------------------------------------


class PanelSpecs:
    @hookspec
    def supportstation_test_panel(self, title: str) -> object:  # type: ignore[empty-body]
        """A stand-in for a hook that builds a widget."""


class CalmPanel:
    SUPPORTSTATION_API = 1

    @hookimpl
    def supportstation_test_panel(self, title: str) -> object:
        time.sleep(0.3)  # longer than the time limit below: GUI hooks have none
        return (title, threading.current_thread())


class BrokenPanel:
    SUPPORTSTATION_API = 1

    @hookimpl
    def supportstation_test_panel(self) -> object:
        raise AttributeError("no such widget")


def test_gui_hooks_run_on_the_calling_thread_guarded_against_exceptions() -> None:
    registry = PluginRegistry(group="supportstation.plugins.nobody", time_limit=0.1)
    registry.manager.add_hookspecs(PanelSpecs)
    assert registry.register("calm", CalmPanel()) and registry.register("broken", BrokenPanel())
    results = registry.call_gui_hook("supportstation_test_panel", title="Disks")
    assert results == [("calm", ("Disks", threading.current_thread()))]
    assert [plugin.name for plugin in registry.plugins] == ["calm"]
    failure = registry.failures[-1]
    assert failure.name == "broken" and "AttributeError: no such widget" in failure.error
    assert "Traceback" in failure.traceback
    assert registry.call_gui_hook("supportstation_test_panel", title="Again") == [
        ("calm", ("Again", threading.current_thread()))
    ]


def test_a_worker_call_gives_an_outcome_for_every_ending() -> None:
    assert plugin_calls.call_with_time_limit(lambda a, b: a + b, (1, 2)).value == 3
    raised = plugin_calls.call_with_time_limit(lambda: sys.exit(4))
    assert raised.error == "SystemExit: 4" and not raised.succeeded
    stop = threading.Event()
    hung = plugin_calls.call_with_time_limit(stop.wait, time_limit=0.05)
    stop.set()
    assert hung.timed_out and not hung.succeeded
    assert plugin_calls.call_here(lambda: 1 / 0).error == "ZeroDivisionError: division by zero"


# -- transports -------------------------------------------------------------------------------------------------------


def test_transports_are_collected_and_conflicts_refused(samples: Path) -> None:
    registry = loaded()
    assert [transport.name for transport in registry.all_transports()] == ["fake-cli", "rival-cli"]
    found = registry.find_transport("fake-cli")
    assert isinstance(found, Transport) and found.language == "fakecli"
    assert registry.find_transport("rival") is None
    warnings = by_name(registry)["rival"].warnings
    assert any("Transport fake-cli is already contributed by the plugin a-good" in text for text in warnings)
    assert any("language fakecli is already spoken by the transport fake-cli" in text for text in warnings)
    assert any("sh is the name of a built-in shell" in text for text in warnings)
    assert any("returned str among its transports" in text for text in warnings)
    assert any("rival.unspoken is written in nobodyspeaks" in text for text in warnings)
    assert registry.find_action("rival.unspoken") is None and registry.find_action("rival.ok") is not None
    assert by_name(registry)["rival"].counts.transports == 1


def test_actions_of_a_disabled_transport_plugin_go_with_it(samples: Path) -> None:
    registry = loaded()
    registry.disable("rival", "a test")
    assert registry.find_action("rival.ok") is None and registry.find_transport("rival-cli") is None
    assert registry.find_action("good.cli") is not None  # its language is still spoken by a-good's transport


def test_fact_collectors_panels_and_report_sections_are_collected_each_checked(samples: Path) -> None:
    registry = loaded()
    [collector] = registry.fact_collectors()
    assert collector.id == "extras.facts" and collector.facts(" R650 \n") == {"model": "R650", "number": "42"}
    assert [panel.id for panel in registry.panels()] == ["extras.panel"]
    assert registry.panel_owner("extras.panel") == "extras"
    warnings = by_name(registry)["extras"].warnings
    assert any("Id good.one is already used by the plugin a-good" in text for text in warnings)
    assert any("returned str among its collectors" in text for text in warnings)
    assert any("Panel extras.panel is already contributed by the plugin extras" in text for text in warnings)
    counts = by_name(registry)["extras"].counts
    assert (counts.fact_collectors, counts.panels) == (1, 1)
    # Report sections: asked at each report, with the runs; garbage disables its plugin, not the report.
    run = ReportRun("srv", "linux.uptime", "cat /proc/uptime", "succeeded", 0, None, "12.5 30.1")
    sections = registry.report_sections(ReportContext("fr", "INC-1", (run,)))
    assert [(plugin, section.title, section.text) for plugin, section in sections] == [
        ("extras", "1 runs for INC-1", "fr")
    ]
    assert by_name(registry)["bad-sections"].state is PluginState.FAILED
    assert "instead of a list of report sections" in by_name(registry)["bad-sections"].error
    registry.disable("extras", "a test")
    assert registry.fact_collectors() == [] and registry.panels() == []
    assert registry.report_sections(ReportContext("fr", "INC-1", ())) == []


def test_a_fact_collectors_bug_becomes_a_parse_error() -> None:
    def broken(output: str) -> dict[str, str]:
        raise IndexError("list index out of range")

    collector = FactCollector("x.facts", "X", {"sh": "true"}, ("linux",), broken)
    with pytest.raises(ParseError, match=r"x\.facts failed: IndexError"):
        collector.facts("")
    with pytest.raises(ParseError, match="did not return a mapping"):
        FactCollector("x.facts", "X", {"sh": "true"}, ("linux",), lambda output: ["model"]).facts("")
    with pytest.raises(ValueError, match="Placeholder"):
        FactCollector("x.facts", "X", {"sh": "echo ${HOME}"}, ("linux",), broken)
    with pytest.raises(ValueError, match="module:function"):
        Panel("x.panel", "X", "no colon here")


# -- where plugins come from ------------------------------------------------------------------------------------------


def test_origins_built_in_installed_and_user_folder(tmp_path: Path, restore_sys_path: None) -> None:
    site, user = tmp_path / "site", tmp_path / "user"
    for folder, distribution, entry in (
        (site, "supportstation-acme-tools", "first-party"),
        (site, "acme-tools", "third-party"),
        (user, "my-tools", "mine"),
    ):
        folder.mkdir(exist_ok=True)
        (folder / f"ssorigin_{entry.replace('-', '_')}.py").write_text("SUPPORTSTATION_API = 1\n", encoding="utf-8")
        plugin_samples.write_distribution(folder, distribution, GROUP, {entry: f"ssorigin_{entry.replace('-', '_')}"})
    sys.path.insert(0, str(site))
    registry = PluginRegistry(group=GROUP, user_folder=user)
    registry.load()  # puts the user folder on sys.path: that is how its plugin is found
    origins = {plugin.name: str(plugin.origin) for plugin in registry.all_plugins()}
    assert origins == {"first-party": "built-in", "third-party": "installed", "mine": "user folder"}
    assert sys.path[-1] == str(user)
    for module in [name for name in sys.modules if name.startswith("ssorigin_")]:
        del sys.modules[module]


def test_the_user_plugins_folder_is_in_the_config_folder(tmp_path: Path) -> None:
    app_paths = paths.under(tmp_path)
    assert app_paths.plugins_folder == app_paths.config / "plugins"
    app_paths.create()
    assert app_paths.plugins_folder.is_dir()


def test_a_plugin_project_installed_with_pip_is_found_by_a_new_registry(tmp_path: Path, restore_sys_path: None) -> None:
    project = plugin_samples.write_third_party_project(tmp_path / "acme-hello")
    folder = tmp_path / "user-plugins"
    output = plugin_folders.install(project, folder)
    assert "Successfully installed acme-hello-0.3.0" in output
    assert list(folder.glob("acme_hello-0.3.0.dist-info"))
    registry = PluginRegistry(user_folder=folder, disabled=())
    registry.load()
    action = registry.find_action("acme.hello")
    assert action is not None and registry.action_owner("acme.hello") == "acme-hello"
    mine = next(plugin for plugin in registry.all_plugins() if plugin.name == "acme-hello")
    assert (mine.origin, mine.version, mine.distribution, mine.state) == (
        "user folder",
        "0.3.0",
        "acme-hello",
        "loaded",
    )


def test_install_refuses_what_is_not_a_project_or_a_wheel(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(plugin_folders.InstallError, match="neither a wheel"):
        plugin_folders.install(tmp_path / "notes.txt", tmp_path / "plugins")
    with pytest.raises(plugin_folders.InstallError, match="neither a wheel"):
        plugin_folders.install(tmp_path, tmp_path / "plugins")


def test_without_pip_the_message_says_to_copy_the_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # what PyInstaller sets in a bundled app
    assert not plugin_folders.pip_available()
    with pytest.raises(plugin_folders.InstallError) as raised:
        plugin_folders.install(tmp_path / "acme-hello", tmp_path / "plugins")
    message = str(raised.value)
    assert "cannot install plugins itself" in message and "*.dist-info" in message
    assert str(tmp_path / "plugins") in message


# -- enable / disable -------------------------------------------------------------------------------------------------


def test_disabled_plugins_are_remembered_in_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    chosen = plugin_folders.with_plugin_enabled(settings.Settings(), "windows-diag", enabled=False)
    chosen = plugin_folders.with_plugin_enabled(chosen, "acme", enabled=False)
    settings.save(chosen, path)
    assert settings.load(path).settings.disabled_plugins == ["acme", "windows-diag"]
    again = plugin_folders.with_plugin_enabled(settings.load(path).settings, "acme", enabled=True)
    assert again.disabled_plugins == ["windows-diag"]


def test_a_hand_edited_disabled_list_keeps_only_names(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"disabled_plugins": ["b", 3, "a", "b", ""]}), encoding="utf-8")
    assert settings.load(path).settings.disabled_plugins == ["a", "b"]
    path.write_text(json.dumps({"disabled_plugins": "a"}), encoding="utf-8")
    assert settings.load(path).settings.disabled_plugins == []


# -- the command line -------------------------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], data: Path, *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(data), "--lang", "en", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def broken_user_plugin(tmp_path: Path, restore_sys_path: None) -> Iterator[Path]:
    """A data folder whose user plugins folder holds a plugin that raises when imported."""
    folder = paths.under(tmp_path / "home").plugins_folder
    folder.mkdir(parents=True)
    (folder / "ssbroken_cli.py").write_text("raise ImportError('needs libacme')\n", encoding="utf-8")
    plugin_samples.write_distribution(folder, "broken-cli", "supportstation.plugins", {"broken-cli": "ssbroken_cli"})
    yield tmp_path / "home"
    sys.modules.pop("ssbroken_cli", None)


def test_plugins_list_json(capsys: pytest.CaptureFixture[str], broken_user_plugin: Path) -> None:
    code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "list", "--json")
    assert code == 0
    listed = {plugin["name"]: plugin for plugin in json.loads(out)}
    linux = listed["linux-diag"]
    assert (linux["origin"], linux["state"], linux["api_version"]) == ("built-in", "loaded", "1")
    assert linux["distribution"] == "supportstation-linux-diag" and linux["contributions"]["actions"] >= 7
    broken = listed["broken-cli"]
    assert (broken["origin"], broken["state"], broken["version"]) == ("user folder", "failed", "1.2.3")
    assert "ImportError: needs libacme" in broken["error"] and "ssbroken_cli.py" in broken["traceback"]


def test_plugins_list_table_and_disable_then_enable(
    capsys: pytest.CaptureFixture[str], broken_user_plugin: Path
) -> None:
    code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "list")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["NAME", "VERSION", "ORIGIN", "API", "STATE", "ACTIONS", "PROCEDURES", "TRANSPORTS",
                              "FACTS", "PANELS"]  # fmt: skip
    assert any(line.startswith("broken-cli") and "failed" in line for line in lines)
    assert any("Could not import the plugin: ImportError: needs libacme" in line for line in lines)

    code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "disable", "broken-cli")
    assert code == 0 and "disabled" in out
    saved = settings.load(paths.under(broken_user_plugin).settings_file).settings
    assert saved.disabled_plugins == ["broken-cli"]
    _code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "list", "--json")
    broken = next(plugin for plugin in json.loads(out) if plugin["name"] == "broken-cli")
    assert (broken["state"], broken["error"]) == ("disabled", "")
    assert "ssbroken_cli" not in sys.modules

    code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "disable", "broken-cli")
    assert code == 0 and "already disabled" in out
    code, out, _err = run_cli(capsys, broken_user_plugin, "plugins", "enable", "broken-cli")
    assert code == 0 and "enabled" in out
    assert settings.load(paths.under(broken_user_plugin).settings_file).settings.disabled_plugins == []


def test_enabling_or_disabling_an_unknown_plugin_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    code, _out, err = run_cli(capsys, tmp_path, "plugins", "disable", "no-such-plugin")
    assert code == 2 and "no plugin is named no-such-plugin" in err


def test_a_disabled_plugin_leaves_actions_list_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    assert run_cli(capsys, tmp_path, "plugins", "disable", "linux-diag")[0] == 0
    code, out, _err = run_cli(capsys, tmp_path, "--demo", "actions", "list", "--json")
    assert code == 0
    plugins = {action["plugin"] for action in json.loads(out)}
    assert "linux-diag" not in plugins and "windows-diag" in plugins
    # The command's choice ends with it: a registry made afterwards in this process loads linux-diag again.
    assert plugin_folders.this_run() == plugin_folders.RunChoice()


def test_actions_list_names_each_actions_plugin_and_filters_by_host(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    code, out, _err = run_cli(capsys, tmp_path, "--demo", "actions", "list", "--json")
    assert code == 0
    owners = {action["id"]: action["plugin"] for action in json.loads(out)}
    assert owners["linux.disk_usage"] == "linux-diag" and owners["windows.disk_space"] == "windows-diag"
    code, out, _err = run_cli(capsys, tmp_path, "--demo", "actions", "list", "--host", "srv-lemaire-01")
    assert code == 0
    lines = out.splitlines()
    assert lines and all(line.startswith("linux.") and " linux-diag " in line for line in lines)
    code, _out, err = run_cli(capsys, tmp_path, "--demo", "actions", "list", "--host", "nowhere")
    assert code == 2 and "no host of the inventory is named nowhere" in err


def test_plugins_install_a_project_then_a_wheel(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    project = plugin_samples.write_third_party_project(tmp_path / "acme-hello")
    data = tmp_path / "home"
    code, out, err = run_cli(capsys, data, "plugins", "install", str(project))
    assert code == 0, err
    assert "Installed" in out and "next start" in out
    _code, out, _err = run_cli(capsys, data, "plugins", "list", "--json")
    mine = next(plugin for plugin in json.loads(out) if plugin["name"] == "acme-hello")
    assert (mine["origin"], mine["state"], mine["contributions"]["actions"]) == ("user folder", "loaded", 1)

    wheel = plugin_samples.build_third_party_wheel(project, tmp_path / "dist")
    other = tmp_path / "other-home"
    code, _out, err = run_cli(capsys, other, "plugins", "install", str(wheel))
    assert code == 0, err
    assert list(paths.under(other).plugins_folder.glob("acme_hello-0.3.0.dist-info"))


def test_plugins_install_of_nothing_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    code, _out, err = run_cli(capsys, tmp_path / "home", "plugins", "install", str(tmp_path / "missing"))
    assert code == 1 and "neither a wheel" in err


def test_actions_list_in_french_takes_each_plugins_own_catalog(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, restore_sys_path: None
) -> None:
    try:
        code, out, _err = run_cli(capsys, tmp_path, "--lang", "fr", "--demo", "actions", "list", "--json")
    finally:
        i18n.install("en")
    assert code == 0
    titles = {action["id"]: (action["title"], action["category"]) for action in json.loads(out)}
    assert titles["linux.disk_usage"][0] == "Utilisation des disques"
    assert titles["cisco.set_access_vlan"][0] == "Passer un port dans un VLAN"
