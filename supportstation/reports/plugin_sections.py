"""The plugins' report sections: the runs of a drafted report handed to the `supportstation_report_sections` hook,
and the sections it returns kept in the report's content (so a signed report keeps them as they were signed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from supportstation.plugin_api import ReportContext, ReportRun, ReportSection

# What the report service calls to get the sections: PluginRegistry.report_sections, in the app.
SectionSource = Callable[[ReportContext], list[tuple[str, ReportSection]]]


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


def add_plugin_sections(content: dict[str, Any], source: SectionSource | None) -> None:
    content["plugin_sections"] = (
        [section_content(plugin, section) for plugin, section in source(report_context(content))] if source else []
    )
