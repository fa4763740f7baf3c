"""The question asked when a host offers a key nobody has trusted yet: its fingerprint, to compare with the one
the client's administrator reads out, and three answers. Refusing is the default button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from supportstation.i18n import _
from supportstation.remote.host_keys import HostKeyDecision, OfferedKey

_CODES = {2: HostKeyDecision.ACCEPT_ONCE, 3: HostKeyDecision.ACCEPT_ALWAYS}


class HostKeyDialog(QDialog):
    def __init__(self, offered: OfferedKey, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hostKeyDialog")
        certificate = hasattr(offered, "summary")  # a WinRM host's TLS certificate rather than an SSH key
        self.setWindowTitle(_("Untrusted certificate") if certificate else _("Unknown host key"))
        self.offered = offered
        self.setMinimumWidth(560)
        name = label if label == offered.host_entry else f"{label} ({offered.host_entry})"
        if certificate:
            text = _(
                "<b>{host}</b> presents a certificate that no trusted authority vouches for ({problem}). Compare "
                "its SHA-256 fingerprint with the one the host's administrator reads on the host before trusting "
                "it.<br>{summary}."
            ).format(host=name, problem=offered.problem, summary=offered.summary())  # type: ignore[attr-defined]
        else:
            text = _(
                "<b>{host}</b> offers a key that this computer has never seen. Compare its fingerprint with the one "
                "the host's administrator gives you before trusting it."
            ).format(host=name)
        intro = QLabel(text)
        intro.setWordWrap(True)
        shown = offered.fingerprint
        if certificate:  # 32 pairs of hex digits: two lines of 16, easier to read out loud and compare
            shown = shown[:47] + "<br>" + shown[48:]
        self.fingerprint = QLabel(f"<tt>{offered.key_type}<br><b>{shown}</b></tt>")
        self.fingerprint.setObjectName("fingerprint")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox()
        self.once_button = QPushButton(_("Trust &once"))
        self.once_button.setToolTip(_("For this connection only: the key is asked about again next time."))
        self.always_button = QPushButton(_("Trust &always"))
        self.always_button.setToolTip(
            _("The certificate is pinned for this host.")
            if certificate
            else _("The key is stored in SupportStation's known hosts file.")
        )
        self.refuse_button = QPushButton(_("&Refuse"))
        for button, role in (
            (self.refuse_button, QDialogButtonBox.ButtonRole.RejectRole),
            (self.once_button, QDialogButtonBox.ButtonRole.ActionRole),
            (self.always_button, QDialogButtonBox.ButtonRole.ActionRole),
        ):
            buttons.addButton(button, role)
        self.refuse_button.setDefault(True)
        self.refuse_button.setFocus()
        self.once_button.clicked.connect(lambda: self.done(2))
        self.always_button.clicked.connect(lambda: self.done(3))
        self.refuse_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.fingerprint)
        layout.addWidget(buttons)

    @staticmethod
    def decision(code: int) -> HostKeyDecision:
        return _CODES.get(code, HostKeyDecision.REFUSE)
