"""Renders a ticket's timeline into a QTextDocument: notes as Markdown, long outputs collapsed behind a link, the oldest
entries of a long timeline behind another."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QTextDocument, QTextDocumentFragment

from supportstation.i18n import _, ngettext
from supportstation.tickets.labels import COLLAPSED_LINES, kind_label

if TYPE_CHECKING:
    from supportstation.tickets.timeline import TimelineItem

# A 1 MB note laid out as Markdown takes seconds; past this size it is shown as plain text until asked for.
MARKDOWN_LIMIT = 100_000
EXPAND_SCHEME = "expand"
OLDER_SCHEME = "older"
# The newest entries shown at first: a ticket of many visits still opens at once; the older ones come on request.
SHOWN = 200
# Bodies shown as a terminal shows them: command output and the like.
MONOSPACE_KINDS = frozenset({"command", "terminal_session"})


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


def render(document: QTextDocument, items: Sequence[TimelineItem], expanded: set[int], shown: int = SHOWN) -> None:
    """Shows the newest `shown` entries, newest first (what just happened is what the engineer looks for), and a link
    to the older ones. The document is set from one HTML text: inserting entry by entry with a cursor took time that
    grew faster than the timeline (1.2 s for 500 entries, on every reload after a recorded run)."""
    newest = list(reversed(items))
    parts = [_item_html(item, item.event_id in expanded) for item in newest[:shown]]
    older = len(newest) - shown
    if older > 0:
        label = ngettext("Show {count} older entry", "Show {count} older entries", older).format(count=older)
        parts.append(f"<p><a href='{OLDER_SCHEME}:{older}'>{html.escape(label)}</a></p>")
    document.setDocumentMargin(4)
    document.setHtml("".join(parts))


def _item_html(item: TimelineItem, expanded: bool) -> str:
    colour = KIND_COLOURS.get(item.kind, "#455a64")
    when = item.created_at.astimezone().strftime("%d/%m/%Y %H:%M")
    author = f" — {html.escape(item.author)}" if item.author else ""
    parts = [
        f"<p style='margin-top:8px; margin-bottom:0'><span style='color:#757575'>{when}{author}</span> "
        f"<b style='color:{colour}'>{html.escape(kind_label(item.kind))}</b></p>"
    ]
    if item.kind != "note" and item.summary:
        parts.append(f"<p style='margin:0'>{html.escape(item.summary)}</p>")
    body = item.body
    if body:
        if item.kind == "note" and (len(body) <= MARKDOWN_LIMIT or expanded):
            parts.append(_markdown_html(body))
        elif item.kind in MONOSPACE_KINDS or "\n" in body.strip():
            parts.append(_collapsible_html(item.event_id, body, expanded))
        else:
            parts.append(f"<p style='margin:0; color:#37474f'>{html.escape(body)}</p>")
    return "".join(parts)


@functools.lru_cache(maxsize=256)
def _markdown_html(text: str) -> str:
    """A note's Markdown as HTML: the body of what Qt's own Markdown reader makes of it (kept for the next reload)."""
    converted = QTextDocumentFragment.fromMarkdown(text).toHtml()
    body = converted[converted.find(">", converted.find("<body")) + 1 : converted.rfind("</body>")]
    return body.replace("<!--StartFragment-->", "").replace("<!--EndFragment-->", "")


def _collapsible_html(event_id: int, body: str, expanded: bool) -> str:
    lines = body.splitlines()
    shown = lines if expanded else lines[:COLLAPSED_LINES]
    if not expanded and len(body) > MARKDOWN_LIMIT:
        shown = body[:4000].splitlines()[:COLLAPSED_LINES]
    parts = [
        "<pre style='font-family:monospace; white-space:pre-wrap; margin:0'>" + html.escape("\n".join(shown)) + "</pre>"
    ]
    hidden = len(lines) - len(shown)
    if expanded and len(lines) > COLLAPSED_LINES:
        label = _("Show less")
        parts.append(f"<p style='margin:0'><a href='{EXPAND_SCHEME}:{event_id}'>{html.escape(label)}</a></p>")
    elif hidden > 0 or len(body) > MARKDOWN_LIMIT:
        label = _("Show all ({lines} lines, {size} KB)").format(lines=len(lines), size=max(1, len(body) // 1024))
        parts.append(f"<p style='margin:0'><a href='{EXPAND_SCHEME}:{event_id}'>{html.escape(label)}</a></p>")
    return "".join(parts)
