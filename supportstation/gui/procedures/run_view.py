"""One procedure run on screen: the steps with their outcome, the current one highlighted with its instructions, the
live output of its commands and each check passed or failed, and what the run waits for from the engineer.

The engine does the work (`procedures.engine`); this view shows what it reports and hands it the engineer's answers.
Every answer is recorded before the run goes on, so closing the window loses nothing: the run is resumed later.
"""

from __future__ import annotations

import asyncio
import codecs
import html
import logging
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.procedures.engine import AnswerError, Need, ProcedureEngine, RunObserver, Waiting
from supportstation.procedures.model import Step, text_in
from supportstation.procedures.run_store import (
    STEP_MARKS,
    RunStatus,
    StepRecord,
    StepStatus,
    run_status_label,
    step_status_label,
)
from supportstation.remote.ansi import strip_ansi
from supportstation.remote.results import Chunk, Stream

from ..shortcut_actions import ANSWER_STEP, STOP_STEP, click_if_shown, make

log = logging.getLogger(__name__)

OUTPUT_KEPT = 256 * 1024  # per step, for the view; the full output is stored with each command on the timeline
FLUSH_MS = 100
STATE_COLOURS = {
    StepStatus.PASSED: "#1b7f3b",
    StepStatus.FAILED: "#b3261e",
    StepStatus.INTERRUPTED: "#b3261e",
    StepStatus.SKIPPED: "#8a6d00",
    StepStatus.NOT_APPLICABLE: "#6b6b6b",
    StepStatus.RUNNING: "#1a5fb4",
}


class _Observer(RunObserver):
    """Forwards one engine's reports to the view while the view shows that engine (and to nobody after)."""

    def __init__(self, view: RunView, engine: ProcedureEngine) -> None:
        self.view = view
        self.engine = engine

    def _showing(self) -> bool:
        return shiboken6.isValid(self.view) and self.view.engine is self.engine

    def step_started(self, index: int, step: Step, attempt: int) -> None:
        if self._showing():
            self.view.step_started(index, attempt)

    def output(self, index: int, target: str, chunk: Chunk) -> None:
        if self._showing():
            self.view.add_output(index, target, chunk)

    def step_finished(self, index: int, step: Step, record: StepRecord) -> None:
        if self._showing():
            self.view.step_finished(index, record)

    def state_changed(self, state: RunStatus, waiting: Waiting | None) -> None:
        if self._showing():
            self.view.show_state(state)


class RunView(QWidget):
    recorded = Signal()  # a step's result is stored: the timeline has something new
    finished = Signal()

    busy_changed = Signal(bool)  # a step runs: the run cannot be left for another one meanwhile

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine: ProcedureEngine | None = None
        self.language = "en"
        self.records: dict[int, StepRecord] = {}
        self.outputs: dict[int, list[str]] = {}
        self._pending: dict[int, list[str]] = {}
        self._decoders: dict[tuple[int, str, Stream], Any] = {}
        self.running_index: int | None = None
        self.task: asyncio.Task[Any] | None = None
        self.abort_task: asyncio.Task[Any] | None = None
        self.abort_dialog: Any = None  # for tests: the question on screen
        self._flush = QTimer(self)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self._flush_output)

        self.title = QLabel()
        self.title.setObjectName("runTitle")
        self.title.setWordWrap(True)
        self.state = QLabel()
        self.state.setObjectName("runState")
        self.steps = QListWidget()
        self.steps.setObjectName("runSteps")
        self.steps.currentRowChanged.connect(self._show_step)

        self.step_title = QLabel()
        self.step_title.setWordWrap(True)
        font = self.step_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.step_title.setFont(font)
        self.text = QTextBrowser()
        self.text.setObjectName("stepText")
        self.text.setOpenExternalLinks(True)
        self.checks = QLabel()
        self.checks.setObjectName("stepChecks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)
        self.output = QPlainTextEdit()
        self.output.setObjectName("stepOutput")
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(5000)
        self.output.setFont(QFont("monospace"))
        self.output.setPlaceholderText(_("The output of the step's commands shows here as it comes."))

        self.message = QLabel()
        self.message.setObjectName("runMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e")
        self.answers = QStackedWidget()
        self.answers.setObjectName("runAnswers")
        self._build_answers()

        self.pause_button = QPushButton(_("Pause after this step"))
        self.stop_button = QPushButton(_("Stop this step"))
        self.abort_button = QPushButton(_("Abort the run…"))
        self.continue_button = QPushButton(_("Continue"))
        for button, handler in (
            (self.pause_button, self._pause),
            (self.stop_button, self._stop_step),
            (self.abort_button, self._ask_abort),
            (self.continue_button, lambda: self._go(None)),
        ):
            button.clicked.connect(handler)
        make(self, STOP_STEP, click_if_shown(self.stop_button))
        controls = QHBoxLayout()
        for button in (self.continue_button, self.pause_button, self.stop_button, self.abort_button):
            controls.addWidget(button)
        controls.addStretch(1)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.step_title)
        detail_layout.addWidget(self.text, 2)
        detail_layout.addWidget(self.checks)
        detail_layout.addWidget(self.output, 3)
        detail_layout.addWidget(self.message)
        detail_layout.addWidget(self.answers)
        splitter = QSplitter()
        splitter.addWidget(self.steps)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([280, 800])
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(heading)
        layout.addWidget(splitter, 1)
        layout.addLayout(controls)
        self._update_controls(None)

    def _build_answers(self) -> None:
        self.nothing_page = QWidget()
        self.acknowledge_button = QPushButton(_("Done, next step"))
        self.acknowledge_button.setDefault(True)
        self.acknowledge_button.clicked.connect(lambda: self._go(self._acknowledge()))
        acknowledge_page = _row(QLabel(_("Follow the instruction, then:")), self.acknowledge_button)

        self.answer_edit = QLineEdit()
        self.answer_edit.setObjectName("promptAnswer")
        self.answer_button = QPushButton(_("Answer"))
        self.answer_button.clicked.connect(lambda: self._go(self._answer()))
        self.answer_edit.returnPressed.connect(self.answer_button.click)
        answer_page = _row(self.answer_edit, self.answer_button)

        self.consent_who = QLineEdit()
        self.consent_who.setObjectName("consentWho")
        self.consent_who.setPlaceholderText(_("Name of the person who agrees"))
        self.consent_initials = QLineEdit()
        self.consent_initials.setObjectName("consentInitials")
        self.consent_initials.setMaxLength(8)
        self.consent_initials.setPlaceholderText(_("Initials, typed by them"))
        self.consent_button = QPushButton(_("The customer agrees"))
        self.consent_button.clicked.connect(lambda: self._go(self._consent()))
        consent_page = QWidget()
        form = QFormLayout(consent_page)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(_("Who agrees:"), self.consent_who)
        form.addRow(_("Their initials:"), _row(self.consent_initials, self.consent_button))

        self.retry_button = QPushButton(_("Retry the step"))
        self.retry_button.clicked.connect(lambda: self._go(self._retry()))
        self.skip_reason = QLineEdit()
        self.skip_reason.setObjectName("skipReason")
        self.skip_reason.setPlaceholderText(_("Why skip it? (goes into the report)"))
        self.skip_button = QPushButton(_("Skip the step"))
        self.skip_button.clicked.connect(lambda: self._go(self._skip()))
        decision_page = _row(self.retry_button, self.skip_reason, self.skip_button)
        self.pages = {
            None: self.nothing_page,
            Need.ACKNOWLEDGE: acknowledge_page,
            Need.ANSWER: answer_page,
            Need.CONSENT: consent_page,
            Need.DECISION: decision_page,
        }
        for page in self.pages.values():
            self.answers.addWidget(page)
        make(self, ANSWER_STEP, self._default_answer)

    # -- showing a run --------------------------------------------------------------------------------------------

    def show_engine(self, engine: ProcedureEngine, language: str) -> None:
        """Shows the run of `engine` (just started or resumed) as it stands; the caller then calls `go()`."""
        self.engine = engine
        engine.services.observer = _Observer(self, engine)
        self.language = language
        self.records = {}
        self.outputs, self._pending, self._decoders, self.running_index = {}, {}, {}, None
        self.output.clear()
        self.message.clear()
        for record in engine.records:
            self.records[record.index] = record
        title, hosts = engine.procedure.title_in(language), ", ".join(engine.run.targets)
        self.title.setText(f"<b>{html.escape(title)}</b> — {html.escape(hosts)}")
        self.steps.clear()
        for index, step in enumerate(engine.procedure.steps):
            item = QListWidgetItem()
            self.steps.addItem(item)
            self._paint_item(index, step)
        self.show_state(engine.state)
        current = engine.waiting.index if engine.waiting else min(engine.run.next_step, len(engine.procedure.steps) - 1)
        self.steps.setCurrentRow(current)
        self._show_waiting(engine.waiting)

    def go(self) -> asyncio.Task[Any]:
        """Runs the steps until the engine needs the engineer."""
        return self._go(None)

    def _go(self, answer: Any) -> asyncio.Task[Any] | None:
        if self.engine is None or (self.task is not None and not self.task.done()):
            if answer is not None:
                answer.close()
            return None
        self.task = asyncio.ensure_future(self._drive(answer))
        return self.task

    async def _drive(self, answer: Any) -> None:
        engine = self.engine
        assert engine is not None
        self.message.clear()
        if answer is not None:
            try:
                await answer
            except AnswerError as error:
                self.message.setText(str(error))
                return
        self._update_controls(None, running=True)
        self.answers.setCurrentWidget(self.nothing_page)
        self.busy_changed.emit(True)
        try:
            waiting = await engine.advance()
        except Exception as error:  # the run is stored as it was: say what happened, the engineer can resume
            log.exception("The procedure run stopped on an error")
            waiting = engine.waiting
            if shiboken6.isValid(self):
                self.message.setText(_("The run stopped on an error: {error}").format(error=error))
        if not shiboken6.isValid(self) or self.engine is not engine:
            return  # the window closed meanwhile; the run is stored as it stands
        self.busy_changed.emit(False)
        self._flush_output()
        self._show_waiting(waiting)
        if engine.state.finished:
            self.finished.emit()

    def _show_waiting(self, waiting: Waiting | None) -> None:
        self._update_controls(waiting)
        self.answers.setCurrentWidget(self.pages[waiting.need if waiting else None])
        if waiting is None:
            return
        self.steps.setCurrentRow(waiting.index)
        if waiting.need is Need.ANSWER and waiting.step.prompt is not None:
            prompt = waiting.step.prompt
            self.answer_edit.clear()
            self.answer_edit.setEchoMode(QLineEdit.EchoMode.Password if prompt.secret else QLineEdit.EchoMode.Normal)
            self.answer_edit.setPlaceholderText(text_in(prompt.question, self.language))
            self.answer_edit.setFocus()
        elif waiting.need is Need.CONSENT:
            self.consent_who.setFocus()
        elif waiting.need is Need.DECISION:
            record = self.records.get(waiting.index)
            if record is None or not record.hosts:  # the checks, when there are some, already say why
                self.message.setText(waiting.reason)
            self.skip_reason.clear()
        elif waiting.need is Need.ACKNOWLEDGE:
            self.acknowledge_button.setFocus()

    def _update_controls(self, waiting: Waiting | None, *, running: bool = False) -> None:
        engine = self.engine
        live = engine is not None and not engine.state.finished
        self.pause_button.setEnabled(live and running)
        self.stop_button.setEnabled(live and running)
        self.abort_button.setEnabled(live)
        paused = engine is not None and engine.state in (RunStatus.PAUSED, RunStatus.INTERRUPTED)
        self.continue_button.setVisible(live and not running and waiting is None and paused)

    def show_state(self, state: RunStatus) -> None:
        text = run_status_label(state)
        if state.finished:
            states = [record.state for record in self.records.values()]
            text += " — " + _("{passed} passed, {failed} failed, {skipped} skipped").format(
                passed=states.count(StepStatus.PASSED),
                failed=states.count(StepStatus.FAILED) + states.count(StepStatus.INTERRUPTED),
                skipped=states.count(StepStatus.SKIPPED),
            )
        self.state.setText(text)
        colour = {RunStatus.COMPLETED: "#1b7f3b", RunStatus.FAILED: "#b3261e", RunStatus.ABORTED: "#6b6b6b"}
        self.state.setStyleSheet(f"font-weight: bold; color: {colour.get(state, '#1a5fb4')}")

    # -- the engine's reports -----------------------------------------------------------------------------------

    def step_started(self, index: int, attempt: int) -> None:
        self.running_index = index
        self.outputs[index] = []
        self.records.pop(index, None)
        if self.engine is not None:
            self._paint_item(index, self.engine.procedure.steps[index], running=True)
        self.steps.setCurrentRow(index)
        self._show_step(index)
        self._flush.start()

    def add_output(self, index: int, target: str, chunk: Chunk) -> None:
        # One decoder per host and stream: a character split between two chunks is decoded whole.
        key = (index, target, chunk.stream)
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._decoders[key] = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = strip_ansi(decoder.decode(chunk.data))
        if self.engine is not None and len(self.engine.targets) > 1 and text:
            text = "".join(f"[{target}] {line}" for line in text.splitlines(keepends=True))
        self._pending.setdefault(index, []).append(text)

    def _flush_output(self) -> None:
        for index, parts in self._pending.items():
            text = "".join(parts)
            kept = self.outputs.setdefault(index, [])
            kept.append(text)
            while sum(len(part) for part in kept) > OUTPUT_KEPT and len(kept) > 1:
                kept.pop(0)
            if index == self.steps.currentRow():
                self.output.moveCursor(self.output.textCursor().MoveOperation.End)
                self.output.insertPlainText(text)
        self._pending.clear()

    def step_finished(self, index: int, record: StepRecord) -> None:
        self._flush_output()
        self.records[index] = record
        if self.engine is not None:
            self._paint_item(index, self.engine.procedure.steps[index])
        if index == self.steps.currentRow():
            self._show_step(index)
        if self.running_index == index:
            self.running_index = None
            self._flush.stop()
        self.recorded.emit()

    # -- one step ------------------------------------------------------------------------------------------------

    def _paint_item(self, index: int, step: Step, *, running: bool = False) -> None:
        item = self.steps.item(index)
        record = self.records.get(index)
        state = StepStatus.RUNNING if running else (record.state if record else None)
        mark = STEP_MARKS[state] if state is not None else "○"
        title = step.label(self.language)
        item.setText(f"{mark}  {index + 1}. {title}")
        tip = step_status_label(state) if state is not None else _("not run yet")
        item.setToolTip(f"{step.id} — {tip}" + (f"\n{record.reason}" if record and record.reason else ""))
        item.setForeground(QBrush(QColor(STATE_COLOURS[state])) if state is not None else QBrush())
        font = item.font()
        font.setBold(running)
        item.setFont(font)

    def _show_step(self, index: int) -> None:
        if self.engine is None or index < 0:
            return
        step = self.engine.procedure.steps[index]
        language = self.language
        self.step_title.setText(f"{index + 1}. {step.label(language)}")  # as the list names it
        self.text.setMarkdown(self._describe(step))
        record = self.records.get(index)
        self.checks.setText(_checks_html(record) if record else "")
        self.output.setPlainText("".join(self.outputs.get(index, [])))
        self.output.setVisible(step.kind in ("run", "action", "transfer"))

    def _describe(self, step: Step) -> str:
        language = self.language
        if step.instruction is not None:
            return text_in(step.instruction, language)
        if step.prompt is not None:
            return text_in(step.prompt.question, language)
        if step.confirm is not None:
            return _("**Read to the customer:** {text}").format(text=text_in(step.confirm.text, language))
        if step.note is not None:
            record = self.records.get(self.steps.currentRow())
            return str(record.answer.get("text")) if record else text_in(step.note, language)
        if step.run is not None:
            return self._commands_text(step)
        if step.action is not None:
            return _("Runs the action **{id}** on {hosts}.").format(
                id=step.action.id, hosts=self._hosts_label(step.action.hosts)
            )
        if step.transfer is not None:
            verb = _("Sends") if step.transfer.direction == "upload" else _("Fetches")
            return f"{verb} `{step.transfer.remote}` ⇄ `{step.transfer.local}`"
        return ""

    def _commands_text(self, step: Step) -> str:
        """The commands as they run on each host of the step (quoted, secrets masked), in Markdown."""
        from supportstation.procedures.templates import display_command, shell_for

        assert self.engine is not None and step.run is not None
        lines = []
        for target in self.engine.targets_for(step.run.hosts):
            shell = shell_for(step, target.shells)
            if shell is None:
                lines.append(_("{host}: no command for its shell").format(host=target.label))
                continue
            command = display_command(self.engine.procedure, step, shell, self.engine.values)
            lines.append(f"{target.label} ({shell}):\n\n    {command}")
        text = "\n\n".join(lines)
        if step.when:
            text += "\n\n" + _("Only when: `{condition}`").format(condition=step.when)
        return text

    def _hosts_label(self, hosts: str) -> str:
        if self.engine is None:
            return hosts
        if hosts == "all":
            return ", ".join(self.engine.run.targets)
        if hosts == "ticket":
            return self.engine.run.targets[0] if self.engine.run.targets else hosts
        return str(self.engine.values.get(hosts, hosts))

    # -- the engineer's answers ---------------------------------------------------------------------------------

    async def _acknowledge(self) -> None:
        assert self.engine is not None
        await self.engine.acknowledge()

    async def _answer(self) -> None:
        assert self.engine is not None
        await self.engine.answer(self.answer_edit.text())
        self.answer_edit.clear()

    async def _consent(self) -> None:
        assert self.engine is not None
        await self.engine.consent(self.consent_who.text(), self.consent_initials.text())
        self.consent_who.clear()
        self.consent_initials.clear()

    async def _retry(self) -> None:
        assert self.engine is not None
        await self.engine.retry()

    async def _skip(self) -> None:
        assert self.engine is not None
        await self.engine.skip(self.skip_reason.text())

    def _default_answer(self) -> None:
        page = self.answers.currentWidget()
        for button in (self.acknowledge_button, self.answer_button, self.consent_button):
            if button.isVisible() and page.isAncestorOf(button):
                button.click()
                return

    def _pause(self) -> None:
        if self.engine is not None:
            self.engine.pause()
            self.pause_button.setEnabled(False)
            self.message.setText(_("The run pauses once this step ends."))

    def _stop_step(self) -> None:
        if self.engine is not None:
            self.engine.interrupt()

    def _ask_abort(self) -> None:
        if self.engine is not None:
            self.abort_task = asyncio.ensure_future(self._abort_asked())

    async def _abort_asked(self) -> None:
        from PySide6.QtWidgets import QDialog, QInputDialog

        from ..dialog_future import answer

        dialog = QInputDialog(self)
        dialog.setWindowTitle(_("Abort the run"))
        dialog.setLabelText(_("The run ends for good and cannot be resumed. Why?"))
        self.abort_dialog = dialog
        try:
            if await answer(dialog) == QDialog.DialogCode.Accepted:
                await self.abort(dialog.textValue())
        finally:
            self.abort_dialog = None
            dialog.deleteLater()

    async def abort(self, reason: str) -> None:
        engine = self.engine
        if engine is None:
            return
        await engine.abort(reason.strip())
        if shiboken6.isValid(self) and self.engine is engine:
            self._show_waiting(None)
            self.show_state(engine.state)
            self.finished.emit()

    def leave(self) -> None:
        """The window showing the run closes: a step running now is the last one, the run then waits (paused)."""
        if self.engine is not None and not self.engine.state.finished:
            if self.task is not None and not self.task.done():
                self.engine.pause()
            else:
                release_later(self.engine)


_RELEASING: set[asyncio.Task[Any]] = set()


def release_later(engine: ProcedureEngine) -> None:
    """Lets another process resume the run; written off the GUI thread."""
    task = asyncio.ensure_future(asyncio.to_thread(engine.release))
    _RELEASING.add(task)
    task.add_done_callback(_RELEASING.discard)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
    return row


def _checks_html(record: StepRecord) -> str:
    from html import escape

    lines = []
    if record.reason and record.state is not StepStatus.PASSED and not record.hosts:
        lines.append(f"<i>{escape(record.reason)}</i>")
    for host in record.hosts:
        for check in host.get("checks", []):
            colour, mark = ("#1b7f3b", "✔") if check["passed"] else ("#b3261e", "✘")
            detail = f" — {escape(check['detail'])}" if check.get("detail") else ""
            lines.append(
                f"<span style='color:{colour}'>{mark}</span> {escape(host['target'])}: {escape(check['check'])}{detail}"
            )
    if record.answer.get("who"):
        lines.append(escape(_("{who} ({initials}) agreed: {text}").format(**record.answer)))
    if record.captured:
        values = ", ".join(f"{name} = {value}" for name, value in record.captured.items())
        lines.append(escape(_("Values: {values}").format(values=values)))
    return "<br>".join(lines)
