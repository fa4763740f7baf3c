"""A run of a plugin's action is named in the report by the action's title, in the report's language, through the
plugin's own catalog; the script behind it stays in the report's content and in the appendix."""

from __future__ import annotations

import re

from sqlalchemy import select

from supportstation.plugins import PluginRegistry
from supportstation.reports.plugin_sections import PluginsWhenLoaded
from supportstation.storage.models import Ticket
from supportstation.storage.run_models import RemoteRun
from tests.reports.report_lab import ReportLab

SCRIPT = "export LC_ALL=C; df -P -T -x tmpfs -x devtmpfs"


def as_disk_usage_action(lab: ReportLab) -> None:
    """The first recorded run of the worked ticket becomes a run of linux-diag's disk usage action."""
    with lab.database.session() as session:
        run = session.scalars(
            select(RemoteRun).where(RemoteRun.ticket_id == lab.ticket_id()).order_by(RemoteRun.id)
        ).first()
        assert run is not None and session.get(Ticket, run.ticket_id) is not None
        run.action_id, run.command = "linux.disk_usage", SCRIPT


def test_a_plugin_action_is_named_in_the_reports_language(report_lab: ReportLab) -> None:
    as_disk_usage_action(report_lab)
    registry = PluginRegistry(user_folder=None, disabled=())
    registry.load()
    report_lab.service.plugins = registry

    report_id = report_lab.draft(language="fr")
    french = report_lab.service.build(report_id)
    [action] = [action for action in french.content["actions"] if action.get("action_id") == "linux.disk_usage"]
    assert action["title"] == "Utilisation des disques"
    assert action["plain_command"] == SCRIPT  # the evidence: what ran, as it ran
    assert "<b>Utilisation des disques</b>" in french.html.html
    assert not re.search(r"\[linux\.disk_usage\] export", french.html.html), "the script is not the action's name"

    english = report_lab.service.build(report_id, language="en")
    assert "<b>Disk usage</b>" in english.html.html


def test_without_plugins_loaded_the_run_shows_its_command(report_lab: ReportLab) -> None:
    as_disk_usage_action(report_lab)
    report_lab.service.plugins = PluginsWhenLoaded(lambda: None)  # the registry has not loaded yet
    built = report_lab.service.build(report_lab.draft(language="fr"))
    assert "[linux.disk_usage] export LC_ALL=C" in built.html.html
    assert all(not action.get("title") for action in built.content["actions"])
