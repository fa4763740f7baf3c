"""How a plugin reads in the Plugins view: its table columns, its state (with what the next start changes), and the
details pane's text."""

from __future__ import annotations

from collections.abc import Callable, Collection

from PySide6.QtGui import QColor

from supportstation.i18n import _, ngettext
from supportstation.plugin_folders import origin_label
from supportstation.plugins import PluginInfo, PluginState

from ..table_model import Column

FAILED_COLOUR = "#c62828"
DISABLED_COLOUR = "#757575"


def state_text(plugin: PluginInfo, disabled_from_next_start: Collection[str]) -> str:
    """The plugin's state in this run, and the change the engineer asked for, which only the next start makes."""
    turned_off = plugin.name in disabled_from_next_start
    if plugin.state is PluginState.DISABLED:
        return _("disabled") if turned_off else _("disabled; enabled from the next start")
    if plugin.state is PluginState.LOADED:
        return _("loaded; disabled from the next start") if turned_off else _("loaded")
    return _("failed; disabled from the next start") if turned_off else _("failed")


def contributions_text(plugin: PluginInfo) -> str:
    if plugin.state is not PluginState.LOADED:
        return ""
    counts = plugin.counts
    parts = [
        ngettext("{count} action", "{count} actions", counts.actions).format(count=counts.actions),
        ngettext("{count} procedure", "{count} procedures", counts.procedures).format(count=counts.procedures),
        ngettext("{count} transport", "{count} transports", counts.transports).format(count=counts.transports),
    ]
    # Rarer contributions are named only when there are some, to keep the column short.
    if counts.fact_collectors:
        parts.append(
            ngettext("{count} fact collector", "{count} fact collectors", counts.fact_collectors).format(
                count=counts.fact_collectors
            )
        )
    if counts.panels:
        parts.append(ngettext("{count} panel", "{count} panels", counts.panels).format(count=counts.panels))
    return ", ".join(parts)


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def plugin_columns(disabled_from_next_start: Callable[[], Collection[str]]) -> list[Column[PluginInfo]]:
    def colour(plugin: PluginInfo) -> QColor | None:
        if plugin.state is PluginState.FAILED:
            return QColor(FAILED_COLOUR)
        if plugin.state is PluginState.DISABLED:
            return QColor(DISABLED_COLOUR)
        return None

    return [
        Column(_("Name"), lambda plugin: plugin.name, tooltip=lambda plugin: plugin.distribution),
        Column(_("Version"), lambda plugin: plugin.version),
        Column(_("Origin"), lambda plugin: origin_label(plugin.origin)),
        Column(_("Contributions"), contributions_text),
        Column(_("State"), lambda plugin: state_text(plugin, disabled_from_next_start()), foreground=colour),
        Column(
            _("Error"),
            lambda plugin: first_line(plugin.error or "; ".join(plugin.warnings)),
            tooltip=lambda plugin: plugin.error,
            foreground=colour,
        ),
    ]


COLUMN_WIDTHS = (150, 70, 95, 250, 240)


def details_text(plugin: PluginInfo, disabled_from_next_start: Collection[str]) -> str:
    """Everything known about the plugin, for the details pane: plain text, so the traceback keeps its layout."""
    lines = [
        _("Plugin: {name}").format(name=plugin.name),
        _("Distribution: {name} {version}").format(name=plugin.distribution or "-", version=plugin.version),
        _("Origin: {origin}").format(origin=origin_label(plugin.origin)),
        _("Plugin API version declared: {version}").format(version=plugin.api_version or _("not known")),
        _("State: {state}").format(state=state_text(plugin, disabled_from_next_start)),
    ]
    if plugin.state is PluginState.LOADED:
        lines.append(_("Contributes: {what}").format(what=contributions_text(plugin)))
    if plugin.error:
        lines += ["", _("Error: {message}").format(message=plugin.error)]
    if plugin.warnings:
        lines += ["", _("Contributions left out:"), *(f"- {warning}" for warning in plugin.warnings)]
    if plugin.traceback:
        lines += ["", plugin.traceback.rstrip()]
    return "\n".join(lines)
