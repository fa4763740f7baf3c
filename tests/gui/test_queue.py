from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from supportstation import settings
from supportstation.clock import utc_now
from supportstation.gui.main_window import MainWindow
from supportstation.gui.queue_model import TICKET_ID_ROLE, QueueModel
from supportstation.gui.views.queue_view import NAME_MINIMUM
from supportstation.tickets.queue import QueueFilter, load_queue
from supportstation.tickets.sla_clocks import SlaState


@pytest.fixture
def loaded(main_window: MainWindow) -> MainWindow:
    with main_window.context.database.session() as session:
        main_window.queue_view.set_rows(load_queue(session))
    return main_window


def visible_references(model: QueueModel) -> list[str]:
    return [model.row_at(row).reference for row in range(model.rowCount())]


def test_the_queue_model_passes_qt_model_checks_filtered_and_sorted(qtmodeltester, loaded: MainWindow) -> None:  # type: ignore[no-untyped-def]
    model = loaded.queue_view.model
    qtmodeltester.check(model, force_py=True)
    model.set_filter(QueueFilter(text="mairie"))
    model.sort(QueueModel.CLIENT, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model, force_py=True)


@pytest.mark.asyncio
async def test_typing_on_the_table_searches_and_enter_opens(qtbot, loaded: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = loaded.queue_view
    table = view.rows.table
    table.setFocus()
    qtbot.keyClicks(table, "medical")
    assert view.search.text() == "medical"
    assert len(visible_references(view.model)) == 2
    table.setFocus()
    table.selectRow(0)
    table.setCurrentIndex(view.model.index(0, 2))
    expected = view.model.index(0, 0).data(TICKET_ID_ROLE)
    with qtbot.waitSignal(view.open_ticket) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [expected]
    workspace = loaded.ticket_tabs.currentWidget()
    await workspace.reload_task
    assert workspace.ticket_id == expected


def test_filters_combine_and_show_their_count(qtbot, loaded: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = loaded.queue_view
    view.set_filter(QueueFilter(priorities=frozenset({1, 2})))
    assert {view.model.row_at(r).priority for r in range(view.model.rowCount())} == {1, 2}
    assert view.priority_button.text().endswith("(2)")
    view.mine.setChecked(True)
    assert all(view.model.row_at(r).assignee == "Camille Martin" for r in range(view.model.rowCount()))
    view.set_filter(QueueFilter(breached=True))
    breached = visible_references(view.model)
    assert breached and all(
        view.model.row_at(r).sla_state(view.model.now) is SlaState.BREACHED for r in range(view.model.rowCount())
    )
    assert "shown" in view.summary.text()


def test_saved_filters_are_remembered_in_the_settings(qtbot, loaded: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = loaded.queue_view
    view.set_filter(QueueFilter(text="srv", priorities=frozenset({1})))
    view.save_filter_as("Serveurs urgents")
    saved = settings.load(loaded.context.paths.settings_file).settings.saved_queue_filters
    assert QueueFilter.from_dict(saved["Serveurs urgents"]) == QueueFilter(text="srv", priorities=frozenset({1}))
    view.set_filter(QueueFilter())
    assert view.search.text() == ""
    view.saved_combo.setCurrentIndex(view.saved_combo.findData("Serveurs urgents"))
    view.saved_combo.activated.emit(view.saved_combo.currentIndex())
    assert view.search.text() == "srv" and view.model.current_filter.priorities == frozenset({1})


def test_the_countdown_moves_without_resetting_the_model(qtbot, loaded: MainWindow) -> None:  # type: ignore[no-untyped-def]
    model = loaded.queue_view.model
    resets: list[bool] = []
    changed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda top, bottom: changed.append((top.column(), bottom.column())))
    due_before = model.index(0, QueueModel.DUE).data()
    model.tick(utc_now() + timedelta(hours=30))
    assert resets == [] and changed == [(QueueModel.SLA, QueueModel.DUE)]
    assert model.index(0, QueueModel.DUE).data() != due_before


def test_tickets_turning_at_risk_raise_one_notification(qtbot, loaded: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import supportstation.gui.views.queue_view as queue_view_module

    later = utc_now() + timedelta(hours=3)
    monkeypatch.setattr(queue_view_module, "utc_now", lambda: later)
    loaded.queue_view.tick()
    assert len(loaded.notifier.sent) == 1
    assert "need attention" in loaded.notifier.sent[0] or ":" in loaded.notifier.sent[0]
    loaded.queue_view.tick()
    assert len(loaded.notifier.sent) == 1, "the same states do not notify twice"


@pytest.mark.asyncio
async def test_a_big_queue_shows_its_first_page_then_the_whole_queue(
    qtbot, main_window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import supportstation.gui.main_window as main_window_module

    monkeypatch.setattr(main_window_module, "FIRST_PAGE", 3)
    pages: list[tuple[int, bool]] = []
    original = main_window.queue_view.set_first_page

    def record(rows):  # type: ignore[no-untyped-def]
        original(rows)
        pages.append((main_window.queue_view.model.rowCount(), main_window.queue_view.search.isEnabled()))

    main_window.queue_view.set_first_page = record  # type: ignore[method-assign]
    main_window.database_ready(main_window.context.database)
    await main_window.refresh()
    assert pages == [(3, False)], "the first page came first, with search waiting for the whole queue"
    assert main_window.queue_view.model.rowCount() == 13 and main_window.queue_view.search.isEnabled()
    await main_window.refresh()
    assert len(pages) == 1, "later refreshes replace the whole queue at once"


def test_columns_fit_their_content_and_the_names_give_way_to_the_title(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    table = main_window.queue_view.rows.table
    main_window.resize(1366, 800)  # a laptop's screen: the demo's names and titles do not all fit
    qtbot.waitUntil(lambda: main_window.queue_view.rows.width() > 1000)
    with main_window.context.database.session() as session:
        main_window.queue_view.set_rows(load_queue(session))
    model, metrics = main_window.queue_view.model, table.fontMetrics()

    def widest(column: int) -> int:
        return max(metrics.horizontalAdvance(model.index(row, column).data() or "") for row in range(model.rowCount()))

    # The title gets a good share of the table from the names, which keep a dozen letters and a tooltip; the rest is
    # never cut, whatever the countdown will show.
    assert table.columnWidth(QueueModel.TITLE) >= 0.25 * main_window.queue_view.rows.width()
    for column in (QueueModel.CLIENT, QueueModel.SITE, QueueModel.HOSTS, QueueModel.ASSIGNEE):
        assert table.columnWidth(column) >= NAME_MINIMUM, column
        assert model.index(0, column).data(Qt.ItemDataRole.ToolTipRole), column
    for column in (QueueModel.PRIORITY, QueueModel.REFERENCE, QueueModel.STATUS, QueueModel.DUE):
        assert table.columnWidth(column) >= widest(column), column
    assert table.columnWidth(QueueModel.DUE) >= metrics.horizontalAdvance("overdue by 23 h 59")
    # Wide enough, nothing gives way.
    main_window.resize(2400, 800)
    qtbot.waitUntil(lambda: main_window.queue_view.rows.width() > 2000)
    main_window.queue_view._fit_columns()
    for column in range(model.columnCount()):
        assert table.columnWidth(column) >= widest(column), column


def test_the_engineers_own_column_widths_are_kept(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    table = main_window.queue_view.rows.table
    table.setColumnWidth(QueueModel.CLIENT, 333)
    main_window.queue_view.keep_column_widths()  # as when the saved layout is restored
    with main_window.context.database.session() as session:
        main_window.queue_view.set_rows(load_queue(session))
    assert table.columnWidth(QueueModel.CLIENT) == 333
