"""The plugin registry: discovery through entry points, and every way a plugin can fail without harming the others.

The plugins here are real distributions as importlib.metadata sees them: a dist-info folder with entry points and
modules, put on sys.path for the test. They use a group of their own so that installed plugins stay out of it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from supportstation.plugin_api import Action
from supportstation.plugins import PluginRegistry

GROUP = "supportstation.plugins.tests"
PREFIX = "ssfake_"

HEADER = """\
from supportstation.plugin_api import Action, hookimpl

SUPPORTSTATION_API = 1


def make(action_id):
    return Action(action_id, action_id, "", "Test", {"sh": "true"}, ("linux",))
"""

PLUGINS = {
    "good": "@hookimpl\ndef supportstation_actions():\n    return [make('good.one'), make('shared.id')]\n",
    "duplicate": "@hookimpl\ndef supportstation_actions():\n    return [make('shared.id'), make('duplicate.own')]\n",
    "raises_on_import": "raise RuntimeError('cannot find libfoo.so')\n",
    "exits_on_import": "import sys\nsys.exit(3)\n",
    "bad_action": "BROKEN = make('NotDotted')\n",
    "old_api": "SUPPORTSTATION_API = 0\n",
    "no_api": "del SUPPORTSTATION_API\n",
    "wrong_type": "@hookimpl\ndef supportstation_actions():\n    return {'good.two': make('good.two')}\n",
    "wrong_item": "@hookimpl\ndef supportstation_actions():\n    return [make('item.kept'), 'item.lost']\n",
    "hook_raises": "@hookimpl\ndef supportstation_actions():\n    raise KeyError('config')\n",
    "hook_typo": "@hookimpl\ndef supportstation_action():\n    return []\n",
    "hook_bad_signature": "@hookimpl\ndef supportstation_actions(target):\n    return []\n",
}


def write_distribution(folder: Path, name: str, entry_points: dict[str, str]) -> None:
    info = folder / f"{name}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n", encoding="utf-8")
    lines = [f"[{GROUP}]", *(f"{entry} = {value}" for entry, value in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def fake_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, body in PLUGINS.items():
        (tmp_path / f"{PREFIX}{name}.py").write_text(HEADER + "\n" + body, encoding="utf-8")
    # Entry point names sort the load order: "a-good" loads before "b-duplicate", so the good one keeps shared.id.
    entry_points = {"a-good": f"{PREFIX}good", "b-duplicate": f"{PREFIX}duplicate"}
    entry_points.update(
        {name.replace("_", "-"): PREFIX + name for name in PLUGINS if name not in ("good", "duplicate")}
    )
    entry_points["missing-module"] = f"{PREFIX}not_installed"
    write_distribution(tmp_path, "fake-plugins", entry_points)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for module in [name for name in sys.modules if name.startswith(PREFIX)]:
        del sys.modules[module]


def loaded(group: str = GROUP) -> PluginRegistry:
    registry = PluginRegistry(group=group)
    registry.load()
    return registry


def failures_by_plugin(registry: PluginRegistry) -> dict[str, str]:
    return {failure.name: failure.error for failure in registry.failures}


def test_good_plugins_load_and_bad_ones_are_recorded(fake_plugins: Path) -> None:
    registry = loaded()
    assert {plugin.name for plugin in registry.plugins} == {
        "a-good",
        "b-duplicate",
        "wrong-type",
        "wrong-item",
        "hook-raises",
    }
    good = next(plugin for plugin in registry.plugins if plugin.name == "a-good")
    assert (good.distribution, good.version) == ("fake-plugins", "1.2.3")
    failures = failures_by_plugin(registry)
    assert "RuntimeError: cannot find libfoo.so" in failures["raises-on-import"]
    assert "SystemExit: 3" in failures["exits-on-import"]
    assert "NotDotted" in failures["bad-action"]
    assert "ModuleNotFoundError" in failures["missing-module"]
    assert "version 0" in failures["old-api"] and "provides version 1" in failures["old-api"]
    assert "SUPPORTSTATION_API = 1" in failures["no-api"]
    assert "supportstation_action" in failures["hook-typo"]
    assert "target" in failures["hook-bad-signature"]


def test_import_failures_keep_their_traceback(fake_plugins: Path) -> None:
    failure = next(failure for failure in loaded().failures if failure.name == "raises-on-import")
    assert "Traceback" in failure.traceback and "ssfake_raises_on_import.py" in failure.traceback


def test_actions_are_collected_with_each_plugin_failure_isolated(fake_plugins: Path) -> None:
    registry = loaded()
    before = len(registry.failures)
    ids = [action.id for action in registry.all_actions()]
    assert ids == ["good.one", "shared.id", "duplicate.own", "item.kept"]
    new = {failure.name: failure for failure in registry.failures[before:]}
    assert set(new) == {"b-duplicate", "wrong-type", "wrong-item", "hook-raises"}
    assert "already contributed by the plugin a-good" in new["b-duplicate"].error
    assert "dict instead of a list" in new["wrong-type"].error
    assert "str among its actions" in new["wrong-item"].error
    assert "KeyError" in new["hook-raises"].error and "Traceback" in new["hook-raises"].traceback
    # The first plugin keeps the id it contributed first.
    shared = registry.find_action("shared.id")
    assert shared is not None and shared == registry.all_actions()[1]


def test_hooks_are_called_once_and_failures_recorded_once(fake_plugins: Path) -> None:
    registry = loaded()
    registry.all_actions()
    count = len(registry.failures)
    registry.all_actions()
    registry.find_action("good.one")
    assert len(registry.failures) == count


def test_find_action(fake_plugins: Path) -> None:
    registry = loaded()
    found = registry.find_action("good.one")
    assert isinstance(found, Action) and found.id == "good.one"
    assert registry.find_action("no.such_action") is None


def test_an_empty_group_loads_nothing() -> None:
    registry = loaded("supportstation.plugins.nobody")
    assert registry.plugins == [] and registry.failures == [] and registry.all_actions() == []


def test_entry_points_can_be_given_and_need_no_distribution(fake_plugins: Path) -> None:
    entry = metadata.EntryPoint(name="direct", value=f"{PREFIX}good", group=GROUP)
    registry = PluginRegistry(entry_points=lambda: [entry])
    registry.load()
    assert [(plugin.name, plugin.version, plugin.distribution) for plugin in registry.plugins] == [("direct", "", "")]
    assert [action.id for action in registry.all_actions()] == ["good.one", "shared.id"]


def test_a_broken_discovery_is_a_failure_not_a_crash() -> None:
    def broken() -> list[metadata.EntryPoint]:
        raise OSError("unreadable site-packages")

    registry = PluginRegistry(entry_points=broken)
    registry.load()
    assert registry.plugins == [] and "unreadable site-packages" in registry.failures[0].error


def test_the_same_name_twice_is_refused(fake_plugins: Path) -> None:
    first = metadata.EntryPoint(name="twice", value=f"{PREFIX}good", group=GROUP)
    second = metadata.EntryPoint(name="twice", value=f"{PREFIX}wrong_item", group=GROUP)
    registry = PluginRegistry(entry_points=lambda: [first, second])
    registry.load()
    assert [plugin.name for plugin in registry.plugins] == ["twice"]
    assert len(registry.failures) == 1 and "Could not register" in registry.failures[0].error
