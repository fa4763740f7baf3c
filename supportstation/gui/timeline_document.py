"""Renders a ticket's timeline into a QTextDocument: notes as Markdown, long outputs collapsed behind a link."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument, QTextFrameFormat

from supportstation.i18n import _

if TYPE_CHECKING:
    from supportstation.tickets.timeline import TimelineItem

COLLAPSED_LINES = 12
# A 1 MB note laid out as Markdown takes seconds; past this size it is shown as plain text until asked for.
MARKDOWN_LIMIT = 100_000
EXPAND_SCHEME = "expand"
# Bodies shown as a terminal shows them: command output and the like.
MONOSPACE_KINDS = frozenset({"command", "terminal_session"})


def kind_label(kind: str) -> str:
    labels = {
        "created": _("Created"),
        "note": _("Note"),
        "status": _("Status"),
        "assignment": _("Assignment"),
        "attachment": _("Attachment"),
        "intervention_started": _("Intervention"),
        "intervention_paused": _("Intervention"),
        "intervention_resumed": _("Intervention"),
        "intervention_ended": _("Intervention"),
        "time_added": _("Time"),
        "time_edited": _("Time"),
        "part_added": _("Part"),
        "command": _("Command"),
        "terminal_session": _("Terminal"),
        "file_transfer": _("File transfer"),
        "host_key": _("Host key"),
        "procedure_run": _("Procedure"),
        "procedure_step": _("Procedure step"),
        "email": _("E-mail"),
    }
    return labels.get(kind, kind)


KIND_COLOURS = {
    "note": "#1565c0",
    "status": "#6a1b9a",
    "assignment": "#6a1b9a",
    "attachment": "#00695c",
    "command": "#37474f",
    "terminal_session": "#37474f",
    "file_transfer": "#37474f",
    "host_key": "#ef6c00",  # a trust decision: stands out
    "procedure_run": "#2e7d32",
    "procedure_step": "#2e7d32",
    "time_edited": "#ef6c00",
}


def render(document: QTextDocument, items: Iterable[TimelineItem], expanded: set[int]) -> None:
    document.clear()
    document.setDocumentMargin(4)
    cursor = QTextCursor(document)
    for item in reversed(list(items)):  # newest first: what just happened is what the engineer looks for
        _render_item(cursor, item, item.event_id in expanded)


def _render_item(cursor: QTextCursor, item: TimelineItem, expanded: bool) -> None:
    frame_format = QTextFrameFormat()
    frame_format.setBorder(0)
    frame_format.setPadding(4)
    frame_format.setBottomMargin(2)
    frame_format.setLeftMargin(2)
    cursor.insertFrame(frame_format)
    colour = KIND_COLOURS.get(item.kind, "#455a64")
    when = item.created_at.astimezone().strftime("%d/%m/%Y %H:%M")
    author = f" — {html.escape(item.author)}" if item.author else ""
    cursor.insertHtml(
        f"<span style='color:#757575'>{when}{author}</span> "
        f"<b style='color:{colour}'>{html.escape(kind_label(item.kind))}</b>"
    )
    if item.kind != "note" and item.summary:
        cursor.insertBlock()
        cursor.insertHtml(f"<span>{html.escape(item.summary)}</span>")
    body = item.body
    if body:
        cursor.insertBlock()
        if item.kind == "note" and (len(body) <= MARKDOWN_LIMIT or expanded):
            cursor.insertMarkdown(body)
        elif item.kind in MONOSPACE_KINDS or "\n" in body.strip():
            _insert_collapsible(cursor, item.event_id, body, expanded)
        else:
            cursor.insertHtml(f"<span style='color:#37474f'>{html.escape(body)}</span>")
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.setCharFormat(QTextCharFormat())


def _insert_collapsible(cursor: QTextCursor, event_id: int, body: str, expanded: bool) -> None:
    lines = body.splitlines()
    shown = lines if expanded else lines[:COLLAPSED_LINES]
    if not expanded and len(body) > MARKDOWN_LIMIT:
        shown = body[:4000].splitlines()[:COLLAPSED_LINES]
    cursor.insertHtml(
        "<pre style='font-family:monospace; white-space:pre-wrap'>" + html.escape("\n".join(shown)) + "</pre>"
    )
    hidden = len(lines) - len(shown)
    if expanded and len(lines) > COLLAPSED_LINES:
        cursor.insertBlock()
        label = _("Show less")
        cursor.insertHtml(f"<a href='{EXPAND_SCHEME}:{event_id}'>{html.escape(label)}</a>")
    elif hidden > 0 or len(body) > MARKDOWN_LIMIT:
        cursor.insertBlock()
        label = _("Show all ({lines} lines, {size} KB)").format(lines=len(lines), size=max(1, len(body) // 1024))
        cursor.insertHtml(f"<a href='{EXPAND_SCHEME}:{event_id}'>{html.escape(label)}</a>")
