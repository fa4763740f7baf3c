"""Report sections: what a plugin adds to an intervention report from the commands run during the intervention.

A switch plugin, for instance, compares the running-config backed up before a change with the one after it and adds
the difference as a section, so the customer signs what was changed. The hook is called each time a draft is
built, in a worker thread with a time limit, with the runs as the report shows them (secrets already redacted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from supportstation.i18n import _
from supportstation.plugin_api.actions import Table


@dataclass(frozen=True)
class ReportRun:
    """A command run during the intervention, oldest first in ReportContext.runs."""

    host: str  # as the engineer calls it: the inventory name, else the address
    action_id: str  # "" for a command the engineer typed
    command: str
    state: str  # succeeded, failed, cancelled, timed_out, connection_lost, running
    exit_code: int | None
    started_at: datetime | None
    output: str  # standard output as text, ANSI codes removed, cut at the report's limit


@dataclass(frozen=True)
class ReportContext:
    language: str  # "fr" or "en": write the section's title and text in it
    ticket_reference: str
    runs: tuple[ReportRun, ...]

    def runs_of(self, action_id: str, *, succeeded: bool = True) -> list[ReportRun]:
        """The runs of one action, oldest first; only those that succeeded unless told otherwise."""
        return [run for run in self.runs if run.action_id == action_id and (not succeeded or run.state == "succeeded")]


@dataclass(frozen=True)
class ReportSection:
    """A section of the report, placed after the engineer's own sections and before the recommendations.

    `text` is plain text (paragraphs separated by blank lines), `table` a Table, `code` preformatted text; with
    `code_kind="diff"` the lines of a unified diff are coloured (added green, removed red)."""

    title: str
    text: str = ""
    table: Table | None = None
    code: str = ""
    code_kind: Literal["text", "diff"] = "text"

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(_("A report section needs a title."))
        if not isinstance(self.text, str) or not isinstance(self.code, str):
            raise ValueError(_("Report section {title}: text and code must be text.").format(title=self.title))
        if self.table is not None and not isinstance(self.table, Table):
            raise ValueError(_("Report section {title}: the table must be a Table.").format(title=self.title))
        if self.code_kind not in ("text", "diff"):
            raise ValueError(_("Report section {title}: code_kind is text or diff.").format(title=self.title))
