"""The engineer's path through one ticket, driven through the real main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation.gui.main_window import MainWindow
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Attachment, Ticket


@pytest.mark.asyncio
async def test_find_the_most_urgent_ticket_work_on_it_and_resolve_it(
    qtbot, main_window: MainWindow, tmp_path: Path, stall_probe
) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    window.database_ready(window.context.database)
    await window.refresh()
    # The most urgent ticket is first; the engineer opens it with Enter.
    queue = window.queue_view
    first = queue.model.row_at(0)
    assert first.priority == 1
    workspace = window.open_ticket(first.ticket_id)
    await workspace.reload_task
    assert window.ticket_tabs.tabText(window.ticket_tabs.currentIndex()) == first.reference
    assert "tel:" in workspace.header.text() and "mailto:" in workspace.header.text()

    # Start the intervention: time runs, the status bar shows it.
    database = window.context.database
    with database.session() as session:
        session.execute(
            __import__("sqlalchemy").text("UPDATE intervention SET ended_at = started_at WHERE ended_at IS NULL")
        )
    await workspace.start_intervention()
    assert workspace.detail.open_intervention is not None
    await window.refresh()
    assert first.reference in window.intervention_label.text()

    # A note in Markdown, an attachment, travel time, a part.
    workspace.note_editor.setPlainText("**Constat** : le service ne démarre plus.\n\n- redémarrage testé")
    await workspace.add_note()
    assert workspace.note_editor.toPlainText() == ""
    assert "Constat" in workspace.timeline.toPlainText()
    evidence = tmp_path / "capture.txt"
    evidence.write_text("journal de la panne\n" * 100, encoding="utf-8")
    await workspace.attach(evidence)
    assert workspace.attachments.rowCount() == 1
    await workspace.add_time("travel", 35, "Aller")
    assert "35" in [workspace.time_table.item(r, 2).text() for r in range(workspace.time_table.rowCount())]

    # Resolving needs a comment; it is refused without one and nothing changes.
    await workspace.request_status(TicketStatus.RESOLVED, comment="")
    assert workspace.last_refusal is not None and "resolution comment" in workspace.last_refusal.text()
    workspace.last_refusal.close()
    assert workspace.detail.status is TicketStatus.IN_PROGRESS
    await workspace.end_intervention()
    await workspace.request_status(TicketStatus.RESOLVED, comment="Service relancé, cause : disque plein.")
    assert workspace.detail.status is TicketStatus.RESOLVED
    await window.refresh()
    assert first.reference not in [queue.model.row_at(r).reference for r in range(queue.model.rowCount())]
    assert window.intervention_label.text() == ""

    with database.session() as session:
        ticket = session.get(Ticket, first.ticket_id)
        assert ticket.resolution.startswith("Service relancé")
        kinds = [event.kind for event in ticket.timeline]
        for kind in ("intervention_started", "note", "attachment", "time_added", "intervention_ended", "status"):
            assert kind in kinds
        attachment = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
        assert (window.context.paths.data / attachment.stored_path).read_bytes() == evidence.read_bytes()
    # Every action ran in a worker thread: the event loop never stalled for long.
    assert stall_probe.longest_gap_ms < 2000


@pytest.mark.asyncio
async def test_a_huge_note_is_shown_collapsed_and_expands_on_demand(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(window.queue_view.model.row_at(0).ticket_id)
    await workspace.reload_task
    huge = "ligne de journal\n" * 70_000
    workspace.note_editor.setPlainText(huge)
    await workspace.add_note()
    text = workspace.timeline.toPlainText()
    assert "Show all (70000 lines" in text
    assert len(text) < 20_000
    note = next(item for item in workspace.detail.timeline if item.kind == "note" and len(item.body) > 1_000_000)
    from PySide6.QtCore import QUrl

    workspace.timeline.anchorClicked.emit(QUrl(f"expand:{note.event_id}"))
    assert len(workspace.timeline.toPlainText()) > 1_000_000


@pytest.mark.asyncio
async def test_the_timeline_exports_to_csv_and_json(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    window = main_window
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(window.queue_view.model.row_at(1).ticket_id)
    await workspace.reload_task
    count = await workspace.export_timeline(tmp_path / "timeline.csv")
    assert count == len(workspace.detail.timeline)
    assert (tmp_path / "timeline.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    await workspace.export_timeline(tmp_path / "timeline.json", as_json=True)
    document = json.loads((tmp_path / "timeline.json").read_text(encoding="utf-8"))
    assert document["reference"] == workspace.detail.reference
    assert len(document["events"]) == count


@pytest.mark.asyncio
async def test_a_ticket_deleted_meanwhile_is_explained_not_crashed(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    window.database_ready(window.context.database)
    await window.refresh()
    ticket_id = window.queue_view.model.row_at(0).ticket_id
    workspace = window.open_ticket(ticket_id)
    await workspace.reload_task
    with window.context.database.session() as session:
        session.delete(session.get(Ticket, ticket_id))  # a colleague deleted it, in a shared database
    workspace.note_editor.setPlainText("Trop tard")
    await workspace.add_note()
    assert workspace.last_refusal is not None and "no longer exists" in workspace.last_refusal.text()
    workspace.last_refusal.close()
