"""What the plugins add to a drafted report: the sections that the `supportstation_report_sections` hook returns for
the report's runs (a switch's config diff…), and the names of their actions in the report's language ("Espace
disque" rather than the script behind it). Both are kept in the report's content, so a signed report keeps them as
they were signed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from supportstation.plugin_api import ReportContext, ReportRun, ReportSection


class ReportPlugins(Protocol):
    """What the report service asks of the plugins: the PluginRegistry, in the app."""

    def report_sections(self, context: ReportContext) -> list[tuple[str, ReportSection]]: ...

    def action_title(self, action_id: str, language: str) -> str | None:
        """The action's title in `language`; None when no loaded plugin has the action."""


def report_context(content: dict[str, Any]) -> ReportContext:
    """The report's runs as a plugin sees them: the command events of its content, oldest first."""
    runs = tuple(
        ReportRun(
            host=action.get("host") or action.get("target", ""),
            action_id=action.get("action_id", ""),
            command=action.get("plain_command", action.get("command", "")),
            state=action.get("state", ""),
            exit_code=action.get("exit_code"),
            started_at=datetime.fromisoformat(action["at"]) if action.get("at") else None,
            output=action.get("output", ""),
        )
        for action in content.get("actions", [])
        if action.get("kind") == "command"
    )
    return ReportContext(language=content.get("language", "fr"), ticket_reference=content["ticket"]["reference"],
                         runs=runs)  # fmt: skip


def section_content(plugin: str, section: ReportSection) -> dict[str, Any]:
    table = section.table
    table_content = None
    if table is not None:
        table_content = {"columns": list(table.columns), "rows": [list(row) for row in table.rows],
                         "notes": list(table.notes)}  # fmt: skip
    return {
        "plugin": plugin,
        "title": section.title,
        "text": section.text,
        "table": table_content,
        "code": section.code,
        "code_kind": section.code_kind,
    }


def add_plugin_contributions(content: dict[str, Any], plugins: ReportPlugins | None) -> None:
    """Names the runs of plugin actions and adds the plugins' sections (none without plugins)."""
    language = content.get("language", "fr")
    for action in content.get("actions", []):
        if action.get("action_id") and plugins is not None:
            action["title"] = plugins.action_title(action["action_id"], language) or ""
    content["plugin_sections"] = (
        [section_content(plugin, section) for plugin, section in plugins.report_sections(report_context(content))]
        if plugins is not None
        else []
    )


class PluginsWhenLoaded:
    """The plugins of a registry that loads in the background: a report drafted before it has loaded gets no
    sections and no titles, and the next draft gets them."""

    def __init__(self, registry: Callable[[], ReportPlugins | None]) -> None:
        self._registry = registry

    def report_sections(self, context: ReportContext) -> list[tuple[str, ReportSection]]:
        registry = self._registry()
        return registry.report_sections(context) if registry is not None else []

    def action_title(self, action_id: str, language: str) -> str | None:
        registry = self._registry()
        return registry.action_title(action_id, language) if registry is not None else None
