"""The procedure library as a table: every procedure of the engineer's folder, the plugins and the starter set,
searchable and filtered by tag; broken files shown with their problems, shipped ones replaced by the engineer's
copy said so. The actions live here as QActions; the Procedures view does the work."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation import i18n
from supportstation.i18n import _
from supportstation.procedures.library import USER, LibraryEntry
from supportstation.procedures.model import text_in

from ..table_model import Column, RowsTableModel
from ..views.loading import MessageTable

_MUTED = QBrush(QColor("#757575"))
_BROKEN = QBrush(QColor("#b3261e"))
COLUMN_WIDTHS = [300, 200, 60, 240, 170, 50]  # the title takes what is left


class LibraryPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[LibraryEntry] = []
        self.replaces: dict[str, list[LibraryEntry]] = {}  # id -> shipped entries the engineer's copy replaces
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.warning_icon = warning

        self.heading = QLabel("<h2>" + _("Procedures") + "</h2>")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.search = QLineEdit()
        self.search.setObjectName("procedureSearch")
        self.search.setPlaceholderText(_("Search titles, ids, descriptions, tags…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filter)
        self.tag = QComboBox()
        self.tag.setObjectName("procedureTag")
        self.tag.setAccessibleName(_("Tag"))
        self.tag.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.tag.addItem(_("All tags"), "")
        self.tag.currentIndexChanged.connect(self.apply_filter)

        self.new_action = self._action(_("New"), _("Write a new procedure (Ctrl+N)"), "Ctrl+N")
        self.open_action = self._action(_("Open"), _("Open the selected procedure in the editor (Enter)"))
        self.duplicate_action = self._action(
            _("Duplicate"), _("Copy the selected procedure into your library, to adapt it (Ctrl+D)"), "Ctrl+D"
        )
        self.import_action = self._action(_("Import…"), _("Import procedure files (.yaml) or zip archives"))
        self.export_action = self._action(_("Export…"), _("Export the selected procedures to a zip archive"))
        self.delete_action = self._action(_("Delete"), _("Delete the selected procedures from your library"))
        self.reveal_action = self._action(_("Show folder"), _("Open the folder of the selected procedure"))
        self.refresh_action = self._action(_("Refresh"), _("Read the library's folders again"), "Ctrl+R")
        find = QAction(self)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(find)

        toolbar = QHBoxLayout()
        toolbar.setSpacing(4)
        actions = (
            self.new_action,
            self.open_action,
            self.duplicate_action,
            None,
            self.import_action,
            self.export_action,
            self.delete_action,
            None,
            self.reveal_action,
            self.refresh_action,
        )
        for action in actions:
            if action is None:
                toolbar.addSpacing(12)
                continue
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.search, 2)
        toolbar.addWidget(self.tag)

        self.model: RowsTableModel[LibraryEntry] = RowsTableModel(self._columns(), self)
        self.rows = MessageTable()
        table = self.rows.table
        table.setObjectName("procedureTable")
        table.setModel(self.model)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        table.horizontalHeader().setStretchLastSection(False)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(lambda _index: self.open_action.trigger())
        table.activated.connect(lambda _index: self.open_action.trigger())
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        table.addAction(self.delete_action)
        self.details = QTextBrowser()
        self.details.setObjectName("procedureDetails")
        self.details.setOpenLinks(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.rows)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([480, 170])

        titles = QHBoxLayout()
        titles.addWidget(self.heading)
        titles.addSpacing(12)
        titles.addWidget(self.summary, 1, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(titles)
        layout.addLayout(toolbar)
        layout.addWidget(self.splitter, 1)
        self.rows.show_message(_("Reading the library…"))
        self._selection_changed()

    def _action(self, text: str, tip: str, shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        action.setIconText(text)
        action.setToolTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        return action

    def _columns(self) -> list[Column[LibraryEntry]]:
        language = i18n.current

        def decoration(entry: LibraryEntry) -> object:
            return self.warning_icon if not entry.valid else None

        return [
            Column(
                _("Title"),
                lambda e: e.title(language()),
                tooltip=self._tooltip,
                decoration=decoration,
                foreground=lambda e: _BROKEN if not e.valid else (_MUTED if e.shadowed_by else None),
            ),
            Column(_("Id"), lambda e: e.id if e.valid else e.path.name),
            Column(_("Version"), lambda e: str(e.procedure.version) if e.procedure else ""),
            Column(_("Origin"), self._origin, foreground=lambda e: _MUTED if e.shadowed_by else None),
            Column(_("Tags"), lambda e: ", ".join(e.procedure.tags) if e.procedure else ""),
            Column(_("Steps"), lambda e: str(len(e.procedure.steps)) if e.procedure else ""),
        ]

    def _origin(self, entry: LibraryEntry) -> str:
        label = entry.origin.label()
        if entry.shadowed_by is not None:
            return _("{origin} (replaced by your copy)").format(origin=label)
        if entry.origin.kind == USER and self.replaces.get(entry.id):
            return _("{origin} (replaces the {shipped})").format(
                origin=label, shipped=self.replaces[entry.id][0].origin.label()
            )
        return label

    def _tooltip(self, entry: LibraryEntry) -> str:
        if not entry.valid:
            return "\n".join(str(problem) for problem in entry.problems)
        return text_in(entry.procedure.description if entry.procedure else None, i18n.current())

    # -- rows ---------------------------------------------------------------------------------------------------------

    def set_entries(self, entries: Sequence[LibraryEntry]) -> None:
        language = i18n.current()
        self.entries = sorted(entries, key=lambda e: (e.title(language).casefold(), e.origin.kind != USER))
        self.replaces = {}
        for entry in self.entries:
            if entry.shadowed_by is not None:
                self.replaces.setdefault(entry.id, []).append(entry)
        tags = sorted({tag for e in self.entries if e.procedure for tag in e.procedure.tags}, key=str.casefold)
        current = self.tag.currentData()
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItem(_("All tags"), "")
        for tag in tags:
            self.tag.addItem(tag, tag)
        self.tag.setCurrentIndex(max(self.tag.findData(current), 0))
        self.tag.blockSignals(False)
        self.apply_filter()

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The library cannot be read: {reason}").format(reason=reason))

    def apply_filter(self) -> None:
        selected = {entry.path for entry in self.selected_entries()}
        tag = self.tag.currentData()
        shown = [entry for entry in self.entries if entry.matches(self.search.text(), [tag] if tag else [])]
        self.model.set_rows(shown)
        selection = self.rows.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, entry in enumerate(shown):
            if entry.path in selected:
                selection.select(self.model.index(row, 0), flags)
        if not self.entries:
            self.rows.show_message(_("No procedure yet. Write one (New), or import files or a zip archive."))
        elif not shown:
            self.rows.show_message(_("No procedure matches the search."))
        else:
            self.rows.show_table()
        broken = sum(1 for entry in self.entries if not entry.valid)
        summary = _("{shown} of {total} procedures").format(shown=len(shown), total=len(self.entries))
        if broken:
            summary += " · " + _("{count} with problems").format(count=broken)
        self.summary.setText(summary)
        self._selection_changed()

    def selected_entries(self) -> list[LibraryEntry]:
        rows = sorted({index.row() for index in self.rows.table.selectionModel().selectedRows()})
        return [self.model.row_at(row) for row in rows if row < self.model.rowCount()]

    def select_path(self, path: object) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).path == path:
                self.rows.table.selectRow(row)
                return

    def shown_ids(self) -> list[str]:
        return [self.model.row_at(row).id for row in range(self.model.rowCount())]

    def _selection_changed(self) -> None:
        selected = self.selected_entries()
        one = len(selected) == 1
        self.open_action.setEnabled(one)
        self.duplicate_action.setEnabled(one and selected[0].valid)
        self.export_action.setEnabled(bool(selected) and all(entry.valid for entry in selected))
        self.delete_action.setEnabled(bool(selected) and all(entry.origin.kind == USER for entry in selected))
        if one:
            self.details.setHtml(self._details(selected[0]))
        else:
            hint = _("Select a procedure to see its description, file and problems.") if not selected else ""
            self.details.setHtml(f"<p style='color:#6b6b6b'>{html.escape(hint)}</p>")

    def _details(self, entry: LibraryEntry) -> str:
        language = i18n.current()
        escape = html.escape
        parts = [f"<b>{escape(entry.title(language))}</b> — {escape(entry.origin.label())}<br>"]
        parts.append(f"<span style='color:#555555'>{escape(str(entry.path))}</span>")
        if not entry.valid:
            parts.append("<p style='color:#b3261e'><b>" + escape(_("This file cannot be used:")) + "</b></p><ul>")
            parts += [f"<li style='color:#b3261e'>{escape(str(problem))}</li>" for problem in entry.problems]
            parts.append("</ul><p>" + escape(_("Open it to fix it in the YAML source.")) + "</p>")
            return "".join(parts)
        procedure = entry.procedure
        assert procedure is not None
        description = text_in(procedure.description, language)
        if description:
            parts.append(f"<p>{escape(description)}</p>")
        if entry.shadowed_by is not None:
            parts.append(
                "<p style='color:#8a6d00'>"
                + escape(_("Not used: your copy {path} replaces it.").format(path=entry.shadowed_by))
                + "</p>"
            )
        parameters = ", ".join(spec.name for spec in procedure.parameters) or _("none")
        parts.append(
            "<p>"
            + escape(
                _("{steps} steps · parameters: {parameters} · version {version}").format(
                    steps=len(procedure.steps), parameters=parameters, version=procedure.version
                )
            )
            + "</p>"
        )
        return "".join(parts)

    def _context_menu(self, position) -> None:  # type: ignore[no-untyped-def]
        menu = QMenu(self)
        for action in (
            self.open_action,
            self.duplicate_action,
            self.export_action,
            self.delete_action,
            None,
            self.reveal_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.rows.table.viewport().mapToGlobal(position))
