"""The form's pages: the procedure's header, and one page per kind of step (what every step has: id, title, `when`;
then what its kind needs). A page shows whichever step of its kind is selected: `load(data, base)`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget
from ruamel.yaml.comments import CommentedMap

from supportstation.i18n import _
from supportstation.plugin_api.actions import Action
from supportstation.procedures import editing

from ..remote.action_library import Translate, app_translation
from .fields import (
    CheckField,
    ChoiceField,
    CodeField,
    Field,
    LineField,
    ListField,
    TextField,
    UndoKeys,
    number,
    version,
)
from .step_widgets import ArgumentsEditor, CapturesEditor

Path = tuple[str | int, ...]


def kind_label(kind: str) -> str:
    return {
        "instruction": _("Instruction"),
        "run": _("Command"),
        "prompt": _("Question"),
        "confirm": _("Customer consent"),
        "action": _("Plugin action"),
        "transfer": _("File transfer"),
        "note": _("Note"),
    }.get(kind, kind)


def kind_help(kind: str) -> str:
    return {
        "instruction": _("Something the engineer does or checks by hand, then acknowledges."),
        "run": _("A command run on the hosts, its result checked; values can be captured from its output."),
        "prompt": _("A question the engineer answers; the answer is a variable for later steps."),
        "confirm": _("Read to the customer, who agrees with their initials or signature before the run goes on."),
        "action": _("A ready-made action of a plugin, with its arguments."),
        "transfer": _("A file copied to or from the hosts."),
        "note": _("A text for the report; it may say what was found, with {variables}."),
    }.get(kind, "")


class FormPage(QWidget):
    """A form of bound fields; `edited` carries every field's Edit."""

    edited = Signal(object)

    def __init__(self, heading: str, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self.fields: list[Field] = []
        self.parts: list[Any] = []  # composite editors that load themselves (captures, arguments)
        self.heading = QLabel(f"<h3>{heading}</h3>")
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: #555555;")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.help)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def add(self, field: Field, label: str | None = None, tip: str = "") -> Field:
        field.edited.connect(self.edited)
        for editor in field.editors():
            editor.installEventFilter(self.keys)
        text = _("{label}:").format(label=label if label is not None else field.label)
        row_label = QLabel(text)
        row_label.setBuddy(field)
        if tip:
            row_label.setToolTip(tip)
            field.setToolTip(tip)
        self.form.addRow(row_label, field)
        self.fields.append(field)
        return field

    def add_part(self, label: str, part: QWidget) -> None:
        part.edited.connect(self.edited)  # type: ignore[attr-defined]
        self.form.addRow(_("{label}:").format(label=label), part)
        self.parts.append(part)

    def section(self, title: str = "") -> None:
        """A heading between groups of fields; without a title, only the space."""
        label = QLabel(f"<b>{title}</b>" if title else "")
        label.setContentsMargins(0, 10 if title else 0, 0, 0)
        self.form.addRow(label)

    def load(self, data: CommentedMap, base: Path) -> None:
        for field in self.fields:
            field.load(data, base)
        for part in self.parts:
            part.load(data, base)

    def first_field(self) -> QWidget | None:
        return self.fields[0] if self.fields else None


class HeaderPage(FormPage):
    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(_("Procedure"), keys, parent)
        self.help.setText(_("What the library shows and searches: the id (which names the file), titles, tags."))
        self.add(
            LineField(("id",), _("Id"), "linux.disk-full"),
            tip=_("Dotted lowercase words, like linux.disk-full; your library's file is named after it."),
        )
        self.add(LineField(("version",), _("Version"), "1", convert=version))
        self.add(TextField(("title",), _("Title")))
        self.add(TextField(("description",), _("Description"), multiline=True))
        self.add(ListField(("tags",), _("Tags"), _("network, printer, …")))
        self.section(_("Applies to"))
        self.add(ListField(("applies_to", "os"), _("Systems"), _("linux, windows, network… (empty: any)")))
        self.add(ListField(("applies_to", "vendor"), _("Vendors"), _("cisco, hpe, dell… (empty: any)")))


class StepPage(FormPage):
    """Every step's id, title and condition, then the fields of one kind."""

    def __init__(self, kind: str, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(kind_label(kind), keys, parent)
        self.kind = kind
        self.help.setText(kind_help(kind))
        self.hosts: ChoiceField | None = None
        self.variables = QLabel()
        self.variables.setWordWrap(True)
        self.variables.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.variables.setStyleSheet("color: #555555;")
        self.add(LineField(("id",), _("Step id"), "check-disk"), tip=_("Lowercase words, unique in the procedure."))
        self.add(TextField(("title",), _("Title")))
        self.add(
            LineField(("when",), _("Only when"), "steps.resolve.passed and port == 443"),
            tip=_("A condition on parameters, captured values and earlier steps; empty: always."),
        )
        getattr(self, f"_build_{kind}")()

    def _hosts(self, path: Path) -> None:
        self.hosts = ChoiceField(path, _("Hosts"), [], default="ticket", editable=True)
        self.add(
            self.hosts,
            tip=_("ticket: the ticket's host; all: each of the ticket's hosts; or a parameter of type host."),
        )

    def _build_instruction(self) -> None:
        self.section()
        self.add(
            TextField(
                ("instruction",),
                _("Text"),
                multiline=True,
                keep=True,
                placeholder=_("Markdown: **bold**, lists, links"),
            )
        )

    def _build_note(self) -> None:
        self.section()
        self.add(TextField(("note",), _("Text"), multiline=True, keep=True))
        self.form.addRow(self.variables)

    def _build_run(self) -> None:
        self.section(_("Commands (one per shell; the host's shell picks one)"))
        self.add(CodeField(("run", "sh"), _("sh"), "df -h {path}"), tip=_("Linux, Unix, network equipment over SSH."))
        self.add(CodeField(("run", "powershell"), _("PowerShell"), "Get-PSDrive -PSProvider FileSystem"))
        self.add(CodeField(("run", "cmd"), _("cmd"), "dir {path}", lines=2))
        self.form.addRow(self.variables)
        self.section(_("How it runs"))
        self._hosts(("run", "hosts"))
        self.add(LineField(("run", "timeout"), _("Timeout (s)"), "60", convert=number))
        self.add(CheckField(("run", "sudo"), _("Administrator"), _("Run with sudo")))
        failures = [
            ("stop", _("Stop the procedure")),
            ("continue", _("Go on with the next step")),
            ("ask", _("Ask the engineer")),
        ]
        self.add(ChoiceField(("run", "on_failure"), _("On failure"), failures, default="stop"))
        self.section(_("Expected result"))
        self.add(ListField(("run", "expect", "exit_codes"), _("Exit codes"), "0", numbers=True))
        for key, label in (
            ("stdout_matches", _("Output matches")),
            ("stdout_not_matches", _("Output does not match")),
            ("stderr_matches", _("Errors match")),
            ("stderr_not_matches", _("Errors do not match")),
        ):
            self.add(LineField(("run", "expect", key), label, _("a regular expression")))
        self.json_checks = QLabel()
        self.json_checks.setStyleSheet("color: #555555;")
        self.form.addRow(self.json_checks)
        self.section(_("Captured values"))
        self.add_part(_("Variables"), CapturesEditor(self.keys))

    def _build_prompt(self) -> None:
        self.section()
        self.add(LineField(("prompt", "variable"), _("Variable"), "answer"))
        self.add(TextField(("prompt", "question"), _("Question")))
        self.add(LineField(("prompt", "pattern"), _("Pattern"), _("a regular expression the answer must match")))
        self.add(CheckField(("prompt", "secret"), _("Secret"), _("Masked, kept in the vault only")))

    def _build_confirm(self) -> None:
        self.section()
        self.add(TextField(("confirm", "text"), _("Read to the customer"), multiline=True, keep=True))
        self.add(
            ChoiceField(
                ("confirm", "by"),
                _("Given by"),
                [("initials", _("Initials")), ("signature", _("Signature"))],
                default="initials",
            )
        )

    def _build_action(self) -> None:
        self.section()
        self.action_choice = ChoiceField(("action", "id"), _("Action"), [])
        self.add(self.action_choice)
        self.arguments = ArgumentsEditor(self.keys)
        self.add_part(_("Arguments"), self.arguments)
        self._hosts(("action", "hosts"))
        self.form.addRow(self.variables)

    def _build_transfer(self) -> None:
        self.section()
        directions = [("download", _("Download (host → laptop)")), ("upload", _("Upload (laptop → host)"))]
        self.add(ChoiceField(("transfer", "direction"), _("Direction"), directions))
        self.add(LineField(("transfer", "remote"), _("On the host"), "/var/log/syslog"))
        self.add(LineField(("transfer", "local"), _("On the laptop"), "syslog.txt"))
        self._hosts(("transfer", "hosts"))
        self.form.addRow(self.variables)

    def set_actions(self, actions: Sequence[Action], translate: Translate = app_translation) -> None:
        if self.kind != "action":
            return
        named = [(translate(action, action.category), translate(action, action.title), action) for action in actions]
        self.action_choice.set_choices(
            [(action.id, f"{category} › {title} ({action.id})") for category, title, action in sorted(named)]
        )
        self.arguments.set_actions(actions, translate)

    def load(self, data: CommentedMap, base: Path) -> None:
        index = base[-1]
        assert isinstance(index, int)
        if self.hosts is not None:
            self.hosts.set_choices([(name, name) for name in editing.host_choices(data)])
        names = editing.variables_before(data, index)
        self.variables.setText(
            _("Placeholders here: {names}").format(names=" ".join(f"{{{name}}}" for name in names))
            if names
            else _("No parameter or earlier captured value to use as {placeholder} yet.")
        )
        if self.kind == "run":
            checks = editing.get(data, (*base, "run", "expect", "json"))
            count = len(checks) if isinstance(checks, list) else 0
            self.json_checks.setText(
                _("{count} checks on the JSON output: edit them in the YAML source.").format(count=count)
            )
            self.json_checks.setVisible(count > 0)
        super().load(data, base)
