"""The hooks a plugin may implement, as pluggy specifications of the project "supportstation".

A plugin is a module (or any object) named by an entry point in the group `supportstation.plugins`. It declares the
plugin API version it was written for in a module attribute, and implements hooks with the `hookimpl` marker:

    from supportstation.plugin_api import Action, hookimpl

    SUPPORTSTATION_API = 1

    @hookimpl
    def supportstation_actions() -> list[Action]:
        return [...]

A plugin that declares another version, or none, is not loaded: API_VERSION changes when a hook or a contribution
type changes in a way that would break existing plugins. Adding a hook or an optional field does not change it.
"""

from __future__ import annotations

from pathlib import Path

import pluggy

from supportstation.plugin_api.actions import Action
from supportstation.plugin_api.facts import FactCollector
from supportstation.plugin_api.panels import Panel
from supportstation.plugin_api.report_sections import ReportContext, ReportSection
from supportstation.plugin_api.transports import Transport

PROJECT_NAME = "supportstation"
API_VERSION = 1
# The module attribute in which a plugin declares the API_VERSION it targets.
API_VERSION_ATTRIBUTE = "SUPPORTSTATION_API"
ENTRY_POINT_GROUP = "supportstation.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def supportstation_actions() -> list[Action]:  # type: ignore[empty-body]
    """The remote actions this plugin contributes.

    Called once per plugin; the list may be empty. An action id another plugin already contributed is refused (the
    first one loaded keeps it), and so is a result that is not a list of Action.
    """


@hookspec
def supportstation_procedures() -> list[Path]:  # type: ignore[empty-body]
    """The procedure files (YAML) this plugin ships, or folders holding them (their `*.yaml` files are read).

    Each file is checked like any procedure; a broken one is listed with its problems and cannot be run, and the
    plugin's other procedures are still offered.
    """


@hookspec
def supportstation_transports() -> list[Transport]:  # type: ignore[empty-body]
    """The transports this plugin contributes, for gear that is neither a POSIX shell over SSH nor WinRM.

    A host whose inventory names a transport is reached through it, and actions whose `commands` are written in the
    transport's `language` run there. A transport name or language another plugin already contributed is refused.
    """


@hookspec
def supportstation_fact_collectors() -> list[FactCollector]:  # type: ignore[empty-body]
    """The fact collectors this plugin contributes: commands that read what a host is (model, serial number…).

    An id another plugin (or an action) already uses is refused, like an action's.
    """


@hookspec
def supportstation_panels() -> list[Panel]:  # type: ignore[empty-body]
    """The GUI panels this plugin contributes, declared without importing Qt: each is imported when opened."""


@hookspec
def supportstation_report_sections(context: ReportContext) -> list[ReportSection]:  # type: ignore[empty-body]
    """The sections this plugin adds to the intervention report, from the runs in `context` (often none).

    Called each time a draft is built, in a worker thread with the time limit, so it must be quick and must not
    connect to anything. Anything but a list of ReportSection disables the plugin, as an exception does.
    """
