"""Finding plugins through their entry points, and calling their hooks without letting one break the others.

pluggy calls every implementation of a hook in one go and stops at the first exception, so this module never calls
`pm.hook.<name>()`: it imports each plugin and calls each plugin's implementation on its own, through
`plugin_calls` (a worker thread with a time limit, or the GUI thread for a hook that builds widgets). A plugin that
fails to import, raises, hangs or returns the wrong type is disabled: unregistered from pluggy, its contributions
forgotten, and a PluginFailure (with the traceback) recorded for the Plugins view and `supportstation plugins list`.
A broken, outdated or misbehaving plugin then costs only its own contributions.

A registry is used from one thread at a time: the window loads it in a worker thread and reads it once loaded.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata
from pathlib import Path

import pluggy

from supportstation import i18n, plugin_calls, plugin_folders
from supportstation.i18n import _
from supportstation.plugin_api import (
    API_VERSION,
    API_VERSION_ATTRIBUTE,
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    Action,
    FactCollector,
    Panel,
    ReportContext,
    ReportSection,
    Transport,
    hookspecs,
)
from supportstation.plugin_calls import CallOutcome
from supportstation.plugin_contributions import (
    ContributionCounts,
    Contributions,
    Words,
    plugin_words,
    translated_section,
)
from supportstation.plugin_folders import Origin

log = logging.getLogger(__name__)


class PluginState(StrEnum):
    LOADED = "loaded"
    DISABLED = "disabled"  # by the engineer: not imported at all
    FAILED = "failed"


@dataclass
class PluginInfo:
    """A plugin found through its entry point: where it comes from, whether it works, and what it contributes.

    `api_version` is the plugin API version the plugin declares, as written ("" when it was not imported). `error`
    and `traceback` say why a failed plugin was left out; `warnings`, which of its contributions were refused.
    """

    name: str
    version: str = ""
    distribution: str = ""
    origin: str = Origin.INSTALLED
    api_version: str = ""
    state: PluginState = PluginState.LOADED
    error: str = ""
    traceback: str = ""
    warnings: list[str] = field(default_factory=list)
    counts: ContributionCounts = field(default_factory=ContributionCounts)


@dataclass(frozen=True)
class PluginFailure:
    """Why a plugin, or one of its contributions, was left out. `traceback` is empty when no exception was raised."""

    name: str
    error: str
    traceback: str = ""


class PluginRegistry:
    """The plugins of one run of the application, and what they contribute.

    `entry_points` returns the entry points to load; it defaults to the installed ones of `group`, and tests give
    their own. Load order is by entry point name, so that which of two duplicates wins does not depend on the order
    in which the file system lists distributions. `user_folder` (put on sys.path before discovery) and `disabled`
    (entry point names not to import) default to what the running command chose (`plugin_folders.this_run`).
    `time_limit` is how long an import or a hook may take, in seconds (default `plugin_calls.HOOK_TIME_LIMIT`).
    """

    def __init__(
        self,
        group: str = ENTRY_POINT_GROUP,
        entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None,
        *,
        user_folder: Path | None = None,
        disabled: Collection[str] | None = None,
        time_limit: float | None = None,
    ) -> None:
        run = plugin_folders.this_run()
        self.group = group
        self._entry_points = entry_points or (lambda: metadata.entry_points(group=group))
        self.user_folder = user_folder if user_folder is not None else run.user_folder
        self.disabled = frozenset(disabled if disabled is not None else run.disabled)
        self.time_limit = time_limit
        self.manager = pluggy.PluginManager(PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self._records: list[PluginInfo] = []
        self._contributions: Contributions | None = None

    @property
    def plugins(self) -> list[PluginInfo]:
        """The plugins loaded and still working, in load order."""
        return [record for record in self._records if record.state is PluginState.LOADED]

    # -- loading ----------------------------------------------------------------------------------------------------

    def load(self) -> None:
        """Loads and registers every plugin found, except the disabled ones; each failure is recorded, none raised."""
        if self.user_folder is not None:
            plugin_folders.add_to_sys_path(self.user_folder)
        try:
            found = sorted(self._entry_points(), key=lambda entry: (entry.name, entry.value))
        except Exception as error:  # broken metadata of some installed distribution
            self._fail(_("(plugin discovery)"), plugin_calls.describe(error), _traceback_of(error))
            return
        for entry_point in found:
            self._load_one(entry_point)

    def _load_one(self, entry_point: metadata.EntryPoint) -> None:
        name = entry_point.name
        distribution = entry_point.dist
        record = PluginInfo(
            name,
            version=distribution.version if distribution else "",
            distribution=distribution.name if distribution else "",
            origin=plugin_folders.origin_of(distribution, self.user_folder),
        )
        if name in self.disabled:
            record.state = PluginState.DISABLED
            self._records.append(record)
            return
        outcome = plugin_calls.call_with_time_limit(entry_point.load, time_limit=self.time_limit, name=name)
        if outcome.succeeded:
            self.register(
                name, outcome.value, version=record.version, distribution=record.distribution, origin=record.origin
            )
            return
        self._records.append(record)
        if outcome.timed_out:
            error = _("Importing the plugin hung: it had not finished after {seconds:g} s.").format(
                seconds=self._time_limit()
            )
        else:  # a plugin calling sys.exit() on import must not end the app either: the outcome holds it as an error
            error = _("Could not import the plugin: {error}").format(error=outcome.error)
        self._refuse(record, error, outcome.traceback)

    def register(
        self, name: str, plugin: object, *, version: str = "", distribution: str = "", origin: str = Origin.INSTALLED
    ) -> bool:
        """Registers an already imported plugin object after checking its API version; False if it was refused."""
        declared = getattr(plugin, API_VERSION_ATTRIBUTE, None)
        record = PluginInfo(name, version, distribution, origin, api_version="" if declared is None else str(declared))
        self._records.append(record)
        if declared is None:
            self._refuse(
                record,
                _("The plugin does not declare the plugin API version it targets ({attribute} = {version}).").format(
                    attribute=API_VERSION_ATTRIBUTE, version=API_VERSION
                ),
            )
            return False
        if type(declared) is not int:  # "1" or True would pass a comparison and mislead the author
            self._refuse(
                record,
                _("{attribute} must be a whole number such as {version}, not {value!r}.").format(
                    attribute=API_VERSION_ATTRIBUTE, version=API_VERSION, value=declared
                ),
            )
            return False
        if declared != API_VERSION:
            self._refuse(
                record,
                _(
                    "The plugin targets plugin API version {declared}, but this SupportStation provides version"
                    " {expected}: install a version of the plugin made for this SupportStation."
                ).format(declared=declared, expected=API_VERSION),
            )
            return False
        try:
            self.manager.register(plugin, name=name)
        except Exception as error:  # a name already taken, or a hook implementation that does not match its spec
            self._refuse(
                record,
                _("Could not register the plugin: {error}").format(error=plugin_calls.describe(error)),
                _traceback_of(error),
            )
            return False
        try:
            # A hook name pluggy does not know (a typo such as `supportstation_action`) would be silently ignored.
            self.manager.check_pending()
        except pluggy.PluginValidationError as error:
            self.manager.unregister(plugin)
            self._refuse(record, _("Unknown hook: {error}").format(error=error))
            return False
        self._contributions = None
        return True

    # -- failures ---------------------------------------------------------------------------------------------------

    def _fail(self, name: str, error: str, details: str = "") -> None:
        log.warning("plugin %s: %s", name, error)
        self.failures.append(PluginFailure(name=name, error=error, traceback=details))

    def _refuse(self, record: PluginInfo, error: str, details: str = "") -> None:
        record.state, record.error, record.traceback = PluginState.FAILED, error, details
        self._fail(record.name, error, details)

    def _warn(self, name: str, message: str) -> None:
        """A contribution of the plugin was refused; the plugin itself keeps working."""
        self._fail(name, message)
        record = self._loaded(name)
        if record is not None:
            record.warnings.append(message)

    def _loaded(self, name: str) -> PluginInfo | None:
        return next((record for record in self.plugins if record.name == name), None)

    def disable(self, name: str, error: str, details: str = "") -> None:
        """Takes a misbehaving plugin out for the rest of the run: no hook of it is called again, and what it
        contributed is forgotten."""
        record = self._loaded(name)
        if record is None:
            return
        self.manager.unregister(name=name)
        self._refuse(record, error, details)
        if self._contributions is not None:
            self._contributions.drop(name, self._warn)

    def _time_limit(self) -> float:
        return plugin_calls.HOOK_TIME_LIMIT if self.time_limit is None else self.time_limit

    def _describe_outcome(self, hook_name: str, outcome: CallOutcome) -> str:
        if outcome.timed_out:
            return _("{hook} hung: it had not returned after {seconds:g} s, so the plugin was disabled.").format(
                hook=hook_name, seconds=self._time_limit()
            )
        return _("{hook} failed: {error}").format(hook=hook_name, error=outcome.error)

    # -- calling hooks ----------------------------------------------------------------------------------------------

    def call_hook(self, hook_name: str, **arguments: object) -> list[tuple[str, object]]:
        """(plugin name, result) for each plugin implementing a hook that touches no widget, each called in a worker
        thread with the time limit; one that raises or hangs is disabled. Like pluggy, an implementation receives
        only the arguments it names."""
        return self._call_each(hook_name, arguments, in_worker=True)

    def call_gui_hook(self, hook_name: str, **arguments: object) -> list[tuple[str, object]]:
        """The same for a hook that builds widgets: called on this (the GUI) thread, so without a time limit; one
        that raises is disabled."""
        return self._call_each(hook_name, arguments, in_worker=False)

    def _call_each(self, hook_name: str, arguments: dict[str, object], *, in_worker: bool) -> list[tuple[str, object]]:
        results: list[tuple[str, object]] = []
        for implementation in getattr(self.manager.hook, hook_name).get_hookimpls():
            plugin = implementation.plugin_name
            values = [arguments[name] for name in implementation.argnames]
            if in_worker:
                outcome = plugin_calls.call_with_time_limit(
                    implementation.function, values, time_limit=self.time_limit, name=plugin
                )
            else:
                outcome = plugin_calls.call_here(implementation.function, values)
            if outcome.succeeded:
                results.append((plugin, outcome.value))
            else:
                self.disable(plugin, self._describe_outcome(hook_name, outcome), outcome.traceback)
        return results

    def _lists_from(self, hook_name: str) -> list[tuple[str, Sequence[object]]]:
        """Each plugin's list from a contribution hook; anything but a list disables its plugin."""
        found: list[tuple[str, Sequence[object]]] = []
        for plugin, result in self.call_hook(hook_name):
            if isinstance(result, list | tuple):
                found.append((plugin, result))
            else:
                self.disable(plugin, _not_a_list(hook_name, type(result).__name__))
        return found

    # -- contributions ----------------------------------------------------------------------------------------------

    def _collected(self) -> Contributions:
        """Every contribution hook is called once per plugin, all before any result is kept: a plugin disabled by
        its last hook must not leave the contributions of its first ones behind."""
        if self._contributions is None:
            transports = self._lists_from("supportstation_transports")
            actions = self._lists_from("supportstation_actions")
            procedures = self._lists_from("supportstation_procedures")
            collectors = self._lists_from("supportstation_fact_collectors")
            panels = self._lists_from("supportstation_panels")
            loaded = {record.name for record in self.plugins}
            contributions = Contributions()
            for plugin, items in transports:
                if plugin in loaded:
                    contributions.add_transports(plugin, items, self._warn)
            for plugin, items in actions:
                if plugin in loaded:
                    contributions.add_actions(plugin, items, self._warn)
            for plugin, items in procedures:
                if plugin in loaded:
                    contributions.add_procedures(plugin, items, self._warn)
            for plugin, items in collectors:
                if plugin in loaded:
                    contributions.add_fact_collectors(plugin, items, self._warn)
            for plugin, items in panels:
                if plugin in loaded:
                    contributions.add_panels(plugin, items, self._warn)
            contributions.leave_out_unspoken_actions(self._warn)
            self._contributions = contributions
        return self._contributions

    def all_actions(self) -> list[Action]:
        """Every action of every plugin, in load order; hooks are called once, as contributions are declarations."""
        return list(self._collected().actions.values())

    def find_action(self, action_id: str) -> Action | None:
        """The action with this id, or None when no loaded plugin contributes it."""
        return self._collected().actions.get(action_id)

    def action_owner(self, action_id: str) -> str:
        """The name of the plugin that contributes the action ("" for none)."""
        return self._collected().action_owners.get(action_id, "")

    def all_transports(self) -> list[Transport]:
        return list(self._collected().transports.values())

    def find_transport(self, name: str) -> Transport | None:
        return self._collected().transports.get(name)

    def fact_collectors(self) -> list[FactCollector]:
        return list(self._collected().fact_collectors.values())

    def panels(self) -> list[Panel]:
        return list(self._collected().panels.values())

    def panel_owner(self, panel_id: str) -> str:
        return self._collected().owners.get(("panel", panel_id), "")

    def words(self, plugin: str, language: str | None = None) -> Words:
        """How to show the strings of a plugin in `language` (the interface's by default); see plugin_words."""
        registered = self.manager.get_plugin(plugin) if plugin else None
        return plugin_words(registered, language or i18n.current())

    def translate(self, item: object, message: str) -> str:
        """A string that a contribution (action, fact collector, panel, transport) declares, in the interface's
        language, through the catalog of the plugin that contributed it."""
        return self.words(self._collected().owner_of(item))(message)

    def action_title(self, action_id: str, language: str) -> str | None:
        """The title of an action in `language`, through its plugin's catalog; None when no loaded plugin has it."""
        action = self.find_action(action_id)
        return self.words(self.action_owner(action_id), language)(action.title) if action is not None else None

    def report_sections(self, context: ReportContext) -> list[tuple[str, ReportSection]]:
        """(plugin name, section) from every loaded plugin, each called in a worker thread with the time limit; a
        plugin that raises, hangs or returns anything but a list of ReportSection is disabled. Their titles, column
        headers and notes are passed through the plugin's catalog in the report's language."""
        sections: list[tuple[str, ReportSection]] = []
        for plugin, result in self.call_hook("supportstation_report_sections", context=context):
            if not isinstance(result, list | tuple) or not all(isinstance(item, ReportSection) for item in result):
                self.disable(
                    plugin,
                    _("supportstation_report_sections returned {type} instead of a list of report sections.").format(
                        type=type(result).__name__
                    ),
                )
                continue
            words = self.words(plugin, context.language)
            sections += [(plugin, translated_section(section, words)) for section in result]
        return sections

    def procedure_paths(self) -> list[tuple[str, Path]]:
        """(plugin name, file) for each procedure file the plugins ship, in load order."""
        return self._collected().procedure_files()

    def all_plugins(self) -> list[PluginInfo]:
        """Every plugin found (loaded, disabled or failed), in load order, with what each contributes; copies, so a
        view can keep them while the registry changes."""
        contributions = self._collected()
        none = ContributionCounts()
        return [
            dataclasses.replace(
                record,
                warnings=list(record.warnings),
                counts=contributions.counts(record.name) if record.state is PluginState.LOADED else none,
            )
            for record in self._records
        ]


def _not_a_list(hook_name: str, kind: str) -> str:
    if hook_name == "supportstation_transports":
        return _("supportstation_transports returned {type} instead of a list of transports.").format(type=kind)
    if hook_name == "supportstation_actions":
        return _("supportstation_actions returned {type} instead of a list of actions.").format(type=kind)
    if hook_name == "supportstation_fact_collectors":
        return _("supportstation_fact_collectors returned {type} instead of a list of fact collectors.").format(
            type=kind
        )
    if hook_name == "supportstation_panels":
        return _("supportstation_panels returned {type} instead of a list of panels.").format(type=kind)
    return _("supportstation_procedures returned {type} instead of a list of paths.").format(type=kind)


def _traceback_of(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))
