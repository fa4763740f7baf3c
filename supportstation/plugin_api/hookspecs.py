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
