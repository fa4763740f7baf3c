"""A ticket's procedures: start one of the library on the ticket's hosts, and see, resume or review its runs.

A run that waits, failed, was paused or was cut by a restart is listed with a Resume button: it goes on where it
stopped, with the same run number and on the same timeline.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.procedures.summary import RunSummary

from ..remote.session import RemoteSession
from .parameter_form import ParameterForm
from .run_view import RunView, release_later

if TYPE_CHECKING:
    from supportstation.procedures.engine import RunServices
    from supportstation.procedures.library import LibraryEntry
    from supportstation.remote.host_targets import HostTarget
    from supportstation.remote.targets import Target

log = logging.getLogger(__name__)

# The runs this window drives, by number: reopening a run goes back to its engine instead of starting a second one.
_LIVE: dict[int, Any] = {}


class ProcedureRunPanel(QWidget):
    recorded = Signal()

    def __init__(self, context: AppContext, remote: RemoteSession, ticket_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.remote = remote
        self.ticket_id = ticket_id
        self.hosts: list[HostTarget] = []
        self.entries: list[LibraryEntry] = []
        self.summaries: list[RunSummary] = []
        self.load_task: asyncio.Task[Any] | None = None
        self.start_task: asyncio.Task[Any] | None = None
        self.last_summary: QDialog | None = None

        self.procedure = QComboBox()
        self.procedure.setObjectName("procedureChoice")
        self.procedure.setMinimumContentsLength(30)
        self.procedure.currentIndexChanged.connect(self._procedure_chosen)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.description.setObjectName("procedureDescription")
        self.host_boxes = QWidget()
        QVBoxLayout(self.host_boxes).setContentsMargins(0, 0, 0, 0)
        self.parameters = ParameterForm()
        self.start_button = QPushButton(_("Start the procedure"))
        self.start_button.setObjectName("startProcedure")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(lambda: self.start())
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e")
        start_box = QGroupBox(_("Start a procedure"))
        start_layout = QVBoxLayout(start_box)
        start_layout.addWidget(self.procedure)
        start_layout.addWidget(self.description)
        start_layout.addWidget(QLabel(_("On the hosts (the first one is the ticket's host):")))
        start_layout.addWidget(self.host_boxes)
        start_layout.addWidget(QLabel(_("Parameters:")))
        start_layout.addWidget(self.parameters)
        start_layout.addWidget(self.problem)
        start_layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignRight)
        start_layout.addStretch(1)

        self.runs = QTableWidget(0, 4)
        self.runs.setObjectName("procedureRuns")
        self.runs.setHorizontalHeaderLabels([_("Procedure"), _("State"), _("Started"), _("Hosts")])
        self.runs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs.verticalHeader().hide()
        self.runs.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.runs.itemSelectionChanged.connect(self._run_selected)
        self.runs.doubleClicked.connect(lambda: self._open_selected())
        self.resume_button = QPushButton(_("Resume"))
        self.resume_button.setObjectName("resumeRun")
        self.resume_button.clicked.connect(lambda: self._open_selected())
        self.review_button = QPushButton(_("Summary…"))
        self.review_button.clicked.connect(self._review_selected)
        runs_box = QGroupBox(_("Runs on this ticket"))
        runs_layout = QVBoxLayout(runs_box)
        self.no_runs = QLabel(_("No procedure has run on this ticket yet."))
        self.no_runs.setObjectName("noRuns")
        runs_layout.addWidget(self.no_runs)
        runs_layout.addWidget(self.runs, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.review_button)
        buttons.addWidget(self.resume_button)
        runs_layout.addLayout(buttons)

        home = QWidget()
        home_layout = QHBoxLayout(home)
        home_layout.setContentsMargins(0, 0, 0, 0)
        home_layout.addWidget(start_box, 2)
        home_layout.addWidget(runs_box, 3)

        self.view = RunView()
        self.view.recorded.connect(self.recorded)
        self.view.finished.connect(self._run_finished)
        back = QPushButton(_("← All procedures of the ticket"))
        back.setObjectName("backToProcedures")
        back.clicked.connect(self.show_home)
        # While a step runs, the engineer stays with it: another run cannot be shown, started or resumed meanwhile.
        self.view.busy_changed.connect(lambda busy: back.setEnabled(not busy))
        run_page = QWidget()
        run_layout = QVBoxLayout(run_page)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.addWidget(back, 0, Qt.AlignmentFlag.AlignLeft)
        run_layout.addWidget(self.view, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(home)
        self.stack.addWidget(run_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.stack)
        self._run_selected()

    # -- loading ---------------------------------------------------------------------------------------------------

    def set_hosts(self, hosts: list[HostTarget]) -> None:
        self.hosts = list(hosts)
        layout = self.host_boxes.layout()
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for host in self.hosts:
            box = QCheckBox(f"{host.label} ({host.os_family}, {host.transport})")
            box.setProperty("host_label", host.label)
            box.setProperty("os_family", host.os_family)
            layout.addWidget(box)
        if not self.hosts:
            layout.addWidget(QLabel(_("The ticket has no host: add one in the ticket's details.")))
        self._procedure_chosen()

    def _schedule_load(self) -> asyncio.Task[Any]:
        self.load_task = asyncio.ensure_future(self.load())
        return self.load_task

    async def load(self) -> None:
        """The library's procedures and the ticket's runs, read off the GUI thread."""
        from supportstation.procedures.library import open_library
        from supportstation.procedures.run_store import load_run, runs_of_ticket
        from supportstation.procedures.summary import summarize

        database = self.context.database
        if database is None:
            return
        language = self.context.language
        registry = self.remote.registry

        def read() -> tuple[list[LibraryEntry], list[RunSummary]]:
            library = open_library(self.context.paths, registry)
            entries = [entry for entry in library.entries if entry.valid and entry.shadowed_by is None]
            entries.sort(key=lambda entry: entry.title(language).casefold())
            with database.session() as session:
                runs = [
                    summarize(load_run(session, row.id), language) for row in runs_of_ticket(session, self.ticket_id)
                ]
            return entries, runs

        entries, summaries = await asyncio.to_thread(read)
        chosen = self.procedure.currentData()
        self.entries, self.summaries = entries, summaries
        self.procedure.blockSignals(True)
        self.procedure.clear()
        for entry in entries:
            self.procedure.addItem(f"{entry.title(language)} — {entry.origin.label()}", entry.id)
        if chosen is not None and self.procedure.findData(chosen) >= 0:
            self.procedure.setCurrentIndex(self.procedure.findData(chosen))
        self.procedure.blockSignals(False)
        self._procedure_chosen()
        self._show_runs()

    def _show_runs(self) -> None:
        self.no_runs.setVisible(not self.summaries)
        self.runs.setRowCount(len(self.summaries))
        for row, summary in enumerate(reversed(self.summaries)):
            started = summary.started_at.astimezone().strftime("%d/%m %H:%M")
            cells = [summary.title, summary.state_label, started, ", ".join(summary.targets)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, summary.run_id)
                self.runs.setItem(row, column, item)
        self.runs.resizeColumnsToContents()
        self.runs.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._run_selected()

    def _entry(self) -> LibraryEntry | None:
        procedure_id = self.procedure.currentData()
        return next((entry for entry in self.entries if entry.id == procedure_id), None)

    def _procedure_chosen(self) -> None:
        entry = self._entry()
        language = self.context.language
        procedure = entry.procedure if entry else None
        self.start_button.setEnabled(procedure is not None and bool(self.hosts))
        if procedure is None:
            self.description.setText(_("No procedure in the library yet.") if not self.entries else "")
            self.parameters.set_parameters([], language, [])
            return
        from supportstation.procedures.model import text_in

        self.description.setText(text_in(procedure.description, language))
        self._check_suitable_hosts(procedure.applies_to.os)
        self.parameters.set_parameters(procedure.parameters, language, [host.label for host in self.hosts])

    def _check_suitable_hosts(self, systems: list[str]) -> None:
        """Ticks the ticket's first host the procedure applies to; the engineer ticks more for steps on all."""
        boxes = self.host_boxes.findChildren(QCheckBox)
        suitable = [box for box in boxes if not systems or box.property("os_family") in systems]
        for box in boxes:
            box.setChecked(bool(suitable) and box is suitable[0])

    # -- starting and resuming ---------------------------------------------------------------------------------------

    def chosen_hosts(self) -> list[str]:
        layout = self.host_boxes.layout()
        boxes = [layout.itemAt(i).widget() for i in range(layout.count())]
        return [str(box.property("host_label")) for box in boxes if isinstance(box, QCheckBox) and box.isChecked()]

    def choose(self, procedure_id: str) -> None:
        index = self.procedure.findData(procedure_id)
        if index < 0:
            raise LookupError(procedure_id)
        self.procedure.setCurrentIndex(index)

    def start(self) -> asyncio.Task[Any] | None:
        entry = self._entry()
        if entry is None or entry.document is None or (self.start_task and not self.start_task.done()):
            return None
        self.start_task = asyncio.ensure_future(self._start(entry))
        return self.start_task

    async def _start(self, entry: LibraryEntry) -> None:
        from supportstation.procedures.engine import EngineError, ProcedureEngine

        assert entry.document is not None
        self.problem.clear()
        self.start_button.setEnabled(False)
        targets, parameters = self.chosen_hosts(), self.parameters.values()  # as shown when Start was clicked
        try:
            services = await self._services()
            engine = await ProcedureEngine.start(
                services, entry.document, targets=targets, parameters=parameters, origin=str(entry.path)
            )
        except (EngineError, OSError) as error:
            self.problem.setText(str(error))
            return
        except Exception as error:  # a vault that stays locked, a database gone: said, and nothing started
            log.exception("Could not start the procedure")
            self.problem.setText(str(error))
            return
        finally:
            self.start_button.setEnabled(bool(self.hosts))
        self._show_engine(engine)

    def _open_selected(self) -> asyncio.Task[Any] | None:
        summary = self._selected()
        if summary is None:
            return None
        if summary.state in ("completed", "aborted"):
            self._review_selected()
            return None
        return asyncio.ensure_future(self.resume(summary.run_id))

    async def resume(self, run_id: int) -> None:
        from supportstation.procedures.engine import ProcedureEngine

        engine = _LIVE.get(run_id)
        if engine is None or engine.state.finished:
            try:
                engine = await ProcedureEngine.resume(await self._services(), run_id)
            except Exception as error:  # taken by another process, a host or secret gone, a locked vault: said
                self.problem.setText(str(error.args[0] if error.args else error))
                return
        self._show_engine(engine)

    def _show_engine(self, engine: Any) -> None:
        _LIVE[engine.run_id] = engine
        self.view.show_engine(engine, self.context.language)
        self.stack.setCurrentIndex(1)
        self.view.go()
        self.recorded.emit()

    def show_home(self) -> None:
        self.stack.setCurrentIndex(0)
        self._schedule_load()

    def _run_finished(self) -> None:
        if self.view.engine is not None:
            _LIVE.pop(self.view.engine.run_id, None)
        self._schedule_load()

    def leave(self) -> None:
        """The ticket's tab closes: the run shown stops after its current step; runs left waiting are released."""
        self.view.leave()
        for run_id, engine in list(_LIVE.items()):
            if engine is not self.view.engine and engine.run.ticket_id == self.ticket_id:
                release_later(engine)
                _LIVE.pop(run_id)

    async def _services(self) -> RunServices:
        from supportstation.procedures.engine import RunServices
        from supportstation.procedures.run_store import RunStore
        from supportstation.remote.runs import Runner

        pool = await self.remote.pool()
        recording = await self.remote.recording(self.ticket_id)
        registry = self.remote.registry
        hosts = {host.label: host.target for host in self.hosts}
        database = self.context.database

        def resolve(names: list[str]) -> list[Target]:
            from supportstation.remote import workbench

            assert database is not None
            with database.session() as session:
                return [hosts[name] if name in hosts else workbench.resolve_target(session, name) for name in names]

        return RunServices(
            runner=Runner(pool, recorder=recording.recorder, secrets=self.remote.secrets),
            pool=pool,
            store=RunStore(recording),
            resolve=resolve,
            find_action=registry.find_action if registry is not None else (lambda _id: None),
            vault=self.remote.vault,
            language=self.context.language,
        )

    # -- the runs list ---------------------------------------------------------------------------------------------

    def _selected(self) -> RunSummary | None:
        rows = self.runs.selectionModel().selectedRows() if self.runs.selectionModel() else []
        if not rows:
            return None
        run_id = self.runs.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((summary for summary in self.summaries if summary.run_id == run_id), None)

    def _run_selected(self) -> None:
        summary = self._selected()
        self.review_button.setEnabled(summary is not None)
        self.resume_button.setEnabled(summary is not None and summary.state not in ("completed", "aborted"))

    def _review_selected(self) -> None:
        summary = self._selected()
        if summary is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(_("Procedure run {id}").format(id=summary.run_id))
        text = QTextBrowser()
        text.setHtml(summary_html(summary))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(640, 480)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_summary = dialog
        dialog.open()


def summary_html(summary: RunSummary) -> str:
    """The run as the report will tell it: each step's outcome, reasons, consents."""
    from supportstation.procedures.run_store import STEP_MARKS, StepStatus

    lines = [
        f"<h3>{escape(summary.title)}</h3>",
        f"<p>{escape(summary.state_label)} — {escape(', '.join(summary.targets))}</p><ol>",
    ]
    for step in summary.steps:
        mark = STEP_MARKS[StepStatus(step.state)] if step.state != "not_run" else "○"
        line = f"{mark} {escape(step.title or step.id)} — {escape(step.state_label)}"
        if step.reason:
            line += f"<br><i>{escape(step.reason)}</i>"
        if step.consent:
            line += "<br>" + escape(_("{who} ({initials}) agreed: {text}").format(**step.consent))
        if step.note:
            line += f"<br>{escape(step.note)}"
        lines.append(f"<li>{line}</li>")
    lines.append("</ol>")
    return "".join(lines)
