"""Finding plugins through their entry points, and calling their hooks without letting one break the others.

pluggy calls every implementation of a hook in one go and stops at the first exception, so this module never calls
`pm.hook.<name>()`: it loads each plugin inside its own try/except and calls each plugin's implementation on its own,
recording what failed (with the traceback) as a PluginFailure. A broken, outdated or misbehaving plugin then costs
only its own contributions, and the Plugins view can say why.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pluggy

from supportstation.i18n import _
from supportstation.plugin_api import (
    API_VERSION,
    API_VERSION_ATTRIBUTE,
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    Action,
    hookspecs,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its entry point name, and the distribution (name, version) that installed it."""

    name: str
    version: str
    distribution: str


@dataclass(frozen=True)
class PluginFailure:
    """Why a plugin, or one of its contributions, was left out. `traceback` is empty when no exception was raised."""

    name: str
    error: str
    traceback: str = ""


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class PluginRegistry:
    """The plugins of one run of the application, and what they contribute.

    `entry_points` returns the entry points to load; it defaults to the installed ones of `group`, and tests give
    their own. Load order is by entry point name, so that which of two duplicates wins does not depend on the order
    in which the file system lists distributions.
    """

    def __init__(
        self,
        group: str = ENTRY_POINT_GROUP,
        entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None,
    ) -> None:
        self.group = group
        self._entry_points = entry_points or (lambda: metadata.entry_points(group=group))
        self.manager = pluggy.PluginManager(PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self.failures: list[PluginFailure] = []
        self._actions: dict[str, Action] | None = None
        self._action_owners: dict[str, str] = {}

    def load(self) -> None:
        """Loads and registers every plugin found; each failure is recorded, none is raised."""
        try:
            found = sorted(self._entry_points(), key=lambda entry: (entry.name, entry.value))
        except Exception as error:  # broken metadata of some installed distribution
            self._fail(_("(plugin discovery)"), _describe(error), traceback.format_exc())
            return
        for entry_point in found:
            self._load_one(entry_point)

    def _load_one(self, entry_point: metadata.EntryPoint) -> None:
        name = entry_point.name
        distribution = entry_point.dist
        try:
            plugin = entry_point.load()
        except (Exception, SystemExit) as error:  # a plugin calling sys.exit() on import must not end the app either
            self._fail(
                name, _("Could not import the plugin: {error}").format(error=_describe(error)), traceback.format_exc()
            )
            return
        self.register(
            name,
            plugin,
            version=distribution.version if distribution else "",
            distribution=distribution.name if distribution else "",
        )

    def register(self, name: str, plugin: object, *, version: str = "", distribution: str = "") -> bool:
        """Registers an already imported plugin object after checking its API version; False if it was refused."""
        declared = getattr(plugin, API_VERSION_ATTRIBUTE, None)
        if declared is None:
            self._fail(
                name,
                _("The plugin does not declare the plugin API version it targets ({attribute} = {version}).").format(
                    attribute=API_VERSION_ATTRIBUTE, version=API_VERSION
                ),
            )
            return False
        if declared != API_VERSION:
            self._fail(
                name,
                _(
                    "The plugin targets plugin API version {declared}, but this SupportStation provides version"
                    " {expected}: install a version of the plugin made for this SupportStation."
                ).format(declared=declared, expected=API_VERSION),
            )
            return False
        try:
            self.manager.register(plugin, name=name)
        except Exception as error:  # a name already taken, or a hook implementation that does not match its spec
            self._fail(
                name, _("Could not register the plugin: {error}").format(error=_describe(error)), traceback.format_exc()
            )
            return False
        try:
            # A hook name pluggy does not know (a typo such as `supportstation_action`) would be silently ignored.
            self.manager.check_pending()
        except pluggy.PluginValidationError as error:
            self.manager.unregister(plugin)
            self._fail(name, _("Unknown hook: {error}").format(error=error))
            return False
        self.plugins.append(PluginInfo(name=name, version=version, distribution=distribution))
        self._actions = None
        return True

    def _fail(self, name: str, error: str, details: str = "") -> None:
        log.warning("plugin %s: %s", name, error)
        self.failures.append(PluginFailure(name=name, error=error, traceback=details))

    def _call_each(self, hook_name: str, **arguments: object) -> Iterable[tuple[str, object]]:
        """(plugin name, result) for each plugin implementing the hook, in load order; an exception becomes that
        plugin's failure. Like pluggy, an implementation receives only the arguments it names."""
        caller = getattr(self.manager.hook, hook_name)
        for implementation in caller.get_hookimpls():
            try:
                result = implementation.function(*(arguments[name] for name in implementation.argnames))
            except (Exception, SystemExit) as error:
                self._fail(
                    implementation.plugin_name,
                    _("{hook} failed: {error}").format(hook=hook_name, error=_describe(error)),
                    traceback.format_exc(),
                )
                continue
            yield implementation.plugin_name, result

    def all_actions(self) -> list[Action]:
        """Every action of every plugin, in load order; computed once, as actions are declarations."""
        if self._actions is None:
            self._actions = {}
            self._action_owners = {}
            for plugin_name, result in self._call_each("supportstation_actions"):
                self._add_actions(plugin_name, result)
        return list(self._actions.values())

    def _add_actions(self, plugin_name: str, result: object) -> None:
        assert self._actions is not None
        if not isinstance(result, list | tuple):
            self._fail(
                plugin_name,
                _("supportstation_actions returned {type} instead of a list of actions.").format(
                    type=type(result).__name__
                ),
            )
            return
        for action in result:
            if not isinstance(action, Action):
                self._fail(
                    plugin_name,
                    _("supportstation_actions returned {type} among its actions; it was left out.").format(
                        type=type(action).__name__
                    ),
                )
            elif action.id in self._actions:
                self._fail(
                    plugin_name,
                    _("Action id {id} is already contributed by the plugin {owner}; this one was left out.").format(
                        id=action.id, owner=self._action_owners[action.id]
                    ),
                )
            else:
                self._actions[action.id] = action
                self._action_owners[action.id] = plugin_name

    def procedure_paths(self) -> list[tuple[str, Path]]:
        """(plugin name, file) for each procedure file the plugins ship, in load order."""
        found: list[tuple[str, Path]] = []
        for plugin_name, result in self._call_each("supportstation_procedures"):
            if not isinstance(result, list | tuple) or not all(isinstance(item, Path) for item in result):
                self._fail(
                    plugin_name,
                    _("supportstation_procedures returned {type} instead of a list of paths.").format(
                        type=type(result).__name__
                    ),
                )
                continue
            for path in result:
                files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
                found += [(plugin_name, file) for file in files]
        return found

    def find_action(self, action_id: str) -> Action | None:
        """The action with this id, or None when no loaded plugin contributes it."""
        self.all_actions()
        assert self._actions is not None
        return self._actions.get(action_id)
