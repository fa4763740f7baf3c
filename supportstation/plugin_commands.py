"""`supportstation plugins list/enable/disable/install`: the Plugins view's work, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from supportstation import paths, plugin_folders
from supportstation import settings as settings_module
from supportstation.i18n import _

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    plugins = commands.add_parser("plugins", help=_("plugins: list, enable, disable, install"))
    verbs = plugins.add_subparsers(dest="plugins_command", metavar="ACTION", required=True)
    listing = verbs.add_parser("list", help=_("every plugin found: its origin, state, error and contributions"))
    listing.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
    enable = verbs.add_parser("enable", help=_("load a disabled plugin again, from the next start"))
    enable.add_argument("name", metavar="NAME")
    disable = verbs.add_parser("disable", help=_("stop loading a plugin, not even importing it, from the next start"))
    disable.add_argument("name", metavar="NAME")
    install = verbs.add_parser(
        "install", help=_("install a plugin (a project folder or a wheel) into the user plugins folder")
    )
    install.add_argument("source", type=Path, metavar="SOURCE")


def run(namespace: argparse.Namespace, app_paths: paths.AppPaths) -> int:
    if namespace.plugins_command == "list":
        return list_plugins(namespace)
    if namespace.plugins_command == "install":
        return install(namespace, app_paths)
    return set_enabled(app_paths, namespace.name, enabled=namespace.plugins_command == "enable")


def list_plugins(namespace: argparse.Namespace) -> int:
    from supportstation.plugins import PluginRegistry

    registry = PluginRegistry()  # with this command's user folder and disabled plugins
    registry.load()
    plugins = registry.all_plugins()
    if namespace.json:
        print(json.dumps([plugin_json(plugin) for plugin in plugins], indent=2, ensure_ascii=False))
        return EXIT_OK
    headers = (_("NAME"), _("VERSION"), _("ORIGIN"), _("API"), _("STATE"), _("ACTIONS"), _("PROCEDURES"),
               _("TRANSPORTS"), _("FACTS"), _("PANELS"))  # fmt: skip
    rows = [
        (plugin.name, plugin.version, plugin_folders.origin_label(plugin.origin), plugin.api_version,
         state_label(plugin.state), str(plugin.counts.actions), str(plugin.counts.procedures),
         str(plugin.counts.transports), str(plugin.counts.fact_collectors), str(plugin.counts.panels))
        for plugin in plugins
    ]  # fmt: skip
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]
    print("  ".join(text.ljust(width) for text, width in zip(headers, widths, strict=True)).rstrip())
    for plugin, row in zip(plugins, rows, strict=True):
        print("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())
        for line in ([plugin.error] if plugin.error else []) + plugin.warnings:
            print("    " + line)
    named = {plugin.name for plugin in plugins}
    for failure in registry.failures:
        if failure.name not in named:  # discovery itself failed: no plugin to put it under
            print(_("Problem: {message}").format(message=failure.error), file=sys.stderr)
    if registry.user_folder is not None:
        print(_("User plugins folder: {folder}").format(folder=registry.user_folder))
    return EXIT_OK


def state_label(state: str) -> str:
    return {"loaded": _("loaded"), "disabled": _("disabled"), "failed": _("failed")}.get(state, state)


def plugin_json(plugin: Any) -> dict[str, Any]:
    return {
        "name": plugin.name,
        "version": plugin.version,
        "distribution": plugin.distribution,
        "origin": str(plugin.origin),
        "api_version": plugin.api_version,
        "state": str(plugin.state),
        "error": plugin.error,
        "traceback": plugin.traceback,
        "warnings": plugin.warnings,
        "contributions": {
            "actions": plugin.counts.actions,
            "procedures": plugin.counts.procedures,
            "transports": plugin.counts.transports,
            "fact_collectors": plugin.counts.fact_collectors,
            "panels": plugin.counts.panels,
        },
    }


def installed_names(app_paths: paths.AppPaths) -> set[str]:
    """The entry point names of every plugin installed, found without importing any."""
    from importlib import metadata

    from supportstation.plugin_api import ENTRY_POINT_GROUP

    plugin_folders.add_to_sys_path(app_paths.plugins_folder)
    return {entry_point.name for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def set_enabled(app_paths: paths.AppPaths, name: str, *, enabled: bool) -> int:
    loaded = settings_module.load(app_paths.settings_file)
    if loaded.problem:
        print(loaded.problem, file=sys.stderr)
    current = loaded.settings
    was_disabled = name in current.disabled_plugins
    # A plugin removed since it was disabled may still be enabled: that only tidies the settings.
    if not (enabled and was_disabled) and name not in installed_names(app_paths):
        print(
            _("Error: no plugin is named {name}; see: supportstation plugins list").format(name=name), file=sys.stderr
        )
        return EXIT_USAGE
    if enabled != was_disabled:
        message = _("Plugin {name} is already enabled.") if enabled else _("Plugin {name} is already disabled.")
        print(message.format(name=name))
        return EXIT_OK
    try:
        settings_module.save(plugin_folders.with_plugin_enabled(current, name, enabled), app_paths.settings_file)
    except settings_module.SettingsError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    if enabled:
        print(_("Plugin {name} enabled: it is loaded from the next start.").format(name=name))
    else:
        print(_("Plugin {name} disabled: from the next start it is not loaded, not even imported.").format(name=name))
    return EXIT_OK


def install(namespace: argparse.Namespace, app_paths: paths.AppPaths) -> int:
    folder = app_paths.plugins_folder
    try:
        output = plugin_folders.install(namespace.source.expanduser().resolve(), folder)
    except plugin_folders.InstallError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_ERROR
    if namespace.verbose:
        print(output)
    message = _("Installed {source} into {folder}. It is loaded from the next start; see: supportstation plugins list")
    print(message.format(source=namespace.source, folder=folder))
    return EXIT_OK
