"""The timeline's rendering: newest first, notes as Markdown, long outputs collapsed, and a long timeline shown from
its newest entries with a link to the older ones, so that a ticket of many visits opens and reloads at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtGui import QTextDocument

from supportstation.gui import timeline_document
from supportstation.tickets.timeline import TimelineItem

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def item(number: int, kind: str = "note", body: str = "", summary: str = "") -> TimelineItem:
    return TimelineItem(number, START + timedelta(minutes=number), kind, "Camille Martin", summary, body)


def links(document: QTextDocument) -> list[str]:
    found = []
    block = document.begin()
    while block.isValid():
        for fragment in (it.fragment() for it in _fragments(block)):
            if fragment.charFormat().isAnchor():
                found.append(fragment.charFormat().anchorHref())
        block = block.next()
    return found


def _fragments(block):  # type: ignore[no-untyped-def]
    iterator = block.begin()
    while not iterator.atEnd():
        yield iterator
        iterator += 1


def test_newest_first_with_markdown_notes_and_collapsed_output(qapp: object) -> None:
    output = "\n".join(f"line {number}" for number in range(40))
    document = QTextDocument()
    items = [item(1, body="Le **disque** est plein."), item(2, "command", output, "srv-web $ df -h")]
    timeline_document.render(document, items, expanded=set())
    text = document.toPlainText()
    assert text.index("srv-web $ df -h") < text.index("Le disque est plein.")  # newest first, Markdown read
    assert "line 11" in text and "line 12" not in text
    assert links(document) == ["expand:2"]
    timeline_document.render(document, items, expanded={2})
    assert "line 39" in document.toPlainText() and links(document) == ["expand:2"]  # now "Show less"


def test_a_long_timeline_shows_its_newest_entries_and_a_link_to_the_older(qapp: object) -> None:
    items = [item(number, summary=f"entry {number}", kind="status") for number in range(1, 251)]
    document = QTextDocument()
    timeline_document.render(document, items, expanded=set())
    text = document.toPlainText()
    assert "entry 250" in text and "entry 51" in text and "entry 50" not in text
    assert "Show 50 older entries" in text and links(document) == ["older:50"]
    timeline_document.render(document, items, expanded=set(), shown=250)
    assert "entry 1\n" in document.toPlainText() + "\n" and links(document) == []
