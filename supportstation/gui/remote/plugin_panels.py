"""The plugins' own panels for a host (supportstation_panels): listed in the remote panel's Plugin tools menu, each
imported only when the engineer opens it, built on the GUI thread and guarded like every GUI hook: a panel that
fails to import or to build shows why, and its plugin is disabled, while the rest of the window carries on."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from supportstation import plugin_calls
from supportstation.i18n import _
from supportstation.plugin_api import Panel, PanelContext

if TYPE_CHECKING:
    from supportstation.plugins import PluginRegistry
    from supportstation.remote.host_targets import HostTarget


def panels_for(registry: PluginRegistry | None, host: HostTarget | None) -> list[Panel]:
    if registry is None or host is None:
        return []
    return [panel for panel in registry.panels() if panel.applies_to(host.os_family, host.vendor)]


def build_panel(
    registry: PluginRegistry,
    panel: Panel,
    host: HostTarget,
    facts: Mapping[str, str],
    run_action: Callable[[str, Mapping[str, object]], None],
) -> QWidget | str:
    """The panel's widget, or the reason it could not be built (its plugin is then disabled)."""
    context = PanelContext(
        host=host.label,
        address=host.target.host,
        os_family=host.os_family,
        vendor=host.vendor,
        facts=dict(facts),
        run_action=run_action,
    )

    def build() -> object:
        module_name, function_name = panel.factory.split(":")
        return getattr(importlib.import_module(module_name), function_name)(context)

    outcome = plugin_calls.call_here(build)
    owner = registry.panel_owner(panel.id)
    if outcome.succeeded and isinstance(outcome.value, QWidget):
        return outcome.value
    error = outcome.error or _("the factory returned {type}, not a widget").format(type=type(outcome.value).__name__)
    title = registry.translate(panel, panel.title)
    message = _("The panel {title} could not be opened: {error}").format(title=title, error=error)
    registry.disable(owner, message, outcome.traceback)
    return message
