"""What the loaded plugins contribute, each item checked on its own and remembered with the plugin it came from.

A refused item (wrong type, an id or name another plugin contributed first, a language nobody speaks) costs only
that item: the plugin's other contributions stay. A plugin disabled later loses all of its contributions at once.
"""

from __future__ import annotations

import dataclasses
import gettext
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

from supportstation import i18n, paths
from supportstation.i18n import _
from supportstation.plugin_api import (
    Action,
    FactCollector,
    Panel,
    ReportSection,
    Table,
    Translations,
    Transport,
    translations,
)
from supportstation.remote.quoting import SHELLS

# (plugin name, message): records why an item was refused.
Refuse = Callable[[str, str], None]
Words = Callable[[str], str]


@dataclass(frozen=True)
class ContributionCounts:
    actions: int = 0
    procedures: int = 0
    transports: int = 0
    fact_collectors: int = 0
    panels: int = 0


@dataclass
class Contributions:
    actions: dict[str, Action] = field(default_factory=dict)
    action_owners: dict[str, str] = field(default_factory=dict)
    transports: dict[str, Transport] = field(default_factory=dict)
    transport_owners: dict[str, str] = field(default_factory=dict)
    procedures: list[tuple[str, Path]] = field(default_factory=list)  # a file, or a folder of *.yaml files
    fact_collectors: dict[str, FactCollector] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)  # ("fact"|"panel", id) -> plugin name

    def add_transports(self, plugin: str, items: Sequence[object], refuse: Refuse) -> None:
        for transport in items:
            if not isinstance(transport, Transport):
                refuse(
                    plugin,
                    _("supportstation_transports returned {type} among its transports; it was left out.").format(
                        type=type(transport).__name__
                    ),
                )
            elif transport.name in self.transports:
                refuse(
                    plugin,
                    _("Transport {name} is already contributed by the plugin {owner}; this one was left out.").format(
                        name=transport.name, owner=self.transport_owners[transport.name]
                    ),
                )
            elif transport.language in SHELLS:
                refuse(
                    plugin,
                    _("Transport {name}: {language} is the name of a built-in shell; the transport was left out.")
                    .format(name=transport.name, language=transport.language),
                )  # fmt: skip
            elif other := self._speaker(transport.language):
                refuse(
                    plugin,
                    _(
                        "Transport {name}: the language {language} is already spoken by the transport {other} of the "
                        "plugin {owner}; this one was left out."
                    ).format(
                        name=transport.name,
                        language=transport.language,
                        other=other.name,
                        owner=self.transport_owners[other.name],
                    ),
                )
            else:
                self.transports[transport.name] = transport
                self.transport_owners[transport.name] = plugin

    def _speaker(self, language: str) -> Transport | None:
        return next((transport for transport in self.transports.values() if transport.language == language), None)

    def add_actions(self, plugin: str, items: Sequence[object], refuse: Refuse) -> None:
        for action in items:
            if not isinstance(action, Action):
                refuse(
                    plugin,
                    _("supportstation_actions returned {type} among its actions; it was left out.").format(
                        type=type(action).__name__
                    ),
                )
            elif action.id in self.actions:
                refuse(
                    plugin,
                    _("Action id {id} is already contributed by the plugin {owner}; this one was left out.").format(
                        id=action.id, owner=self.action_owners[action.id]
                    ),
                )
            else:
                self.actions[action.id] = action
                self.action_owners[action.id] = plugin

    def add_procedures(self, plugin: str, items: Sequence[object], refuse: Refuse) -> None:
        for path in items:
            if isinstance(path, Path):
                self.procedures.append((plugin, path))
            else:
                refuse(
                    plugin,
                    _("supportstation_procedures returned {type} among its paths; it was left out.").format(
                        type=type(path).__name__
                    ),
                )

    def add_fact_collectors(self, plugin: str, items: Sequence[object], refuse: Refuse) -> None:
        for collector in items:
            if not isinstance(collector, FactCollector):
                refuse(
                    plugin,
                    _("supportstation_fact_collectors returned {type} among its collectors; it was left out.").format(
                        type=type(collector).__name__
                    ),
                )
            elif collector.id in self.fact_collectors or collector.id in self.actions:
                owner = self.owners.get(("fact", collector.id)) or self.action_owners[collector.id]
                refuse(
                    plugin,
                    _("Id {id} is already used by the plugin {owner}; this fact collector was left out.").format(
                        id=collector.id, owner=owner
                    ),
                )
            else:
                self.fact_collectors[collector.id] = collector
                self.owners["fact", collector.id] = plugin

    def add_panels(self, plugin: str, items: Sequence[object], refuse: Refuse) -> None:
        for panel in items:
            if not isinstance(panel, Panel):
                refuse(
                    plugin,
                    _("supportstation_panels returned {type} among its panels; it was left out.").format(
                        type=type(panel).__name__
                    ),
                )
            elif panel.id in self.panels:
                refuse(
                    plugin,
                    _("Panel {id} is already contributed by the plugin {owner}; this one was left out.").format(
                        id=panel.id, owner=self.owners["panel", panel.id]
                    ),
                )
            else:
                self.panels[panel.id] = panel
                self.owners["panel", panel.id] = plugin

    def leave_out_unspoken_actions(self, refuse: Refuse) -> None:
        """Actions written in a language that neither a built-in shell nor a loaded transport speaks could never
        run: they are left out, rather than offered and failing in front of a customer."""
        spoken = set(SHELLS) | {transport.language for transport in self.transports.values()}
        for action_id, action in list(self.actions.items()):
            unspoken = [language for language in action.commands if language not in spoken]
            if unspoken:
                refuse(
                    self.action_owners[action_id],
                    _(
                        "Action {id} is written in {languages}, which no built-in shell and no loaded transport "
                        "speaks; it was left out."
                    ).format(id=action_id, languages=", ".join(unspoken)),
                )
                del self.actions[action_id], self.action_owners[action_id]

    def drop(self, plugin: str, refuse: Refuse) -> None:
        """Forgets everything the plugin contributed, and the actions that only its transports could run."""
        for action_id in [action_id for action_id, owner in self.action_owners.items() if owner == plugin]:
            del self.actions[action_id], self.action_owners[action_id]
        for name in [name for name, owner in self.transport_owners.items() if owner == plugin]:
            del self.transports[name], self.transport_owners[name]
        self.procedures = [(owner, path) for owner, path in self.procedures if owner != plugin]
        for (kind, item_id), owner in list(self.owners.items()):
            if owner == plugin:
                del self.owners[kind, item_id]
                (self.fact_collectors if kind == "fact" else self.panels).pop(item_id, None)
        self.leave_out_unspoken_actions(refuse)

    def owner_of(self, item: object) -> str:
        """The plugin that contributed an action, fact collector (or its action), panel or transport; "" for none."""
        if isinstance(item, Action):
            return self.action_owners.get(item.id) or self.owners.get(("fact", item.id), "")
        if isinstance(item, FactCollector):
            return self.owners.get(("fact", item.id), "")
        if isinstance(item, Panel):
            return self.owners.get(("panel", item.id), "")
        if isinstance(item, Transport):
            return self.transport_owners.get(item.name, "")
        return ""

    def procedure_files(self) -> list[tuple[str, Path]]:
        """(plugin name, file) for each procedure file, a folder standing for its `*.yaml` files; read at each call,
        as a plugin's folder is on disk and may change."""
        found: list[tuple[str, Path]] = []
        for plugin, path in self.procedures:
            files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
            found += [(plugin, file) for file in files]
        return found

    def counts(self, plugin: str) -> ContributionCounts:
        return ContributionCounts(
            actions=sum(1 for owner in self.action_owners.values() if owner == plugin),
            procedures=sum(1 for owner, _file in self.procedure_files() if owner == plugin),
            transports=sum(1 for owner in self.transport_owners.values() if owner == plugin),
            fact_collectors=sum(1 for (kind, _id), owner in self.owners.items() if kind == "fact" and owner == plugin),
            panels=sum(1 for (kind, _id), owner in self.owners.items() if kind == "panel" and owner == plugin),
        )


# -- the plugins' words ---------------------------------------------------------------------------------------------


def plugin_words(plugin: object | None, language: str) -> Words:
    """How to show a string a plugin declares (a title, a label, a column header, a note) in `language`: through the
    catalog shipped with the plugin object's package (plugin_api.translations) when it has the string, else through
    SupportStation's own, which knows the words plugins share (System, Network…); as written when neither knows it."""
    own = _package_catalog(plugin)
    app = _app_catalog(language)

    def words(message: str) -> str:
        if not message:
            return message  # gettext("") is the catalog's header
        if own is not None and own.knows(message, language):
            return own.in_language(language)(message)
        return app.gettext(message)

    return words


def _package_catalog(plugin: object | None) -> Translations | None:
    if plugin is None:
        return None
    module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
    return translations(module)


@cache
def _app_catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(i18n.DOMAIN, paths.resources() / "locale", languages=[language], fallback=True)


def translated_section(section: ReportSection, words: Words) -> ReportSection:
    """A plugin's report section with its title, text, column headers and notes in the report's language."""
    table = section.table
    if table is not None:
        table = Table(tuple(map(words, table.columns)), table.rows, tuple(map(words, table.notes)))
    return dataclasses.replace(section, title=words(section.title), text=words(section.text), table=table)
