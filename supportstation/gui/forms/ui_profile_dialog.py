# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'profile_dialog.ui'
##
## Created by: Qt User Interface Compiler version 6.11.2
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QDialog,
    QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
    QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget)

class Ui_ProfileDialog(object):
    def setupUi(self, ProfileDialog):
        if not ProfileDialog.objectName():
            ProfileDialog.setObjectName(u"ProfileDialog")
        ProfileDialog.resize(480, 400)
        self.mainLayout = QVBoxLayout(ProfileDialog)
        self.mainLayout.setObjectName(u"mainLayout")
        self.intro = QLabel(ProfileDialog)
        self.intro.setObjectName(u"intro")
        self.intro.setWordWrap(True)

        self.mainLayout.addWidget(self.intro)

        self.form = QFormLayout()
        self.form.setObjectName(u"form")
        self.nameLabel = QLabel(ProfileDialog)
        self.nameLabel.setObjectName(u"nameLabel")

        self.form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameEdit = QLineEdit(ProfileDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.nameEdit)

        self.emailLabel = QLabel(ProfileDialog)
        self.emailLabel.setObjectName(u"emailLabel")

        self.form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.emailLabel)

        self.emailEdit = QLineEdit(ProfileDialog)
        self.emailEdit.setObjectName(u"emailEdit")

        self.form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.emailEdit)

        self.phoneLabel = QLabel(ProfileDialog)
        self.phoneLabel.setObjectName(u"phoneLabel")

        self.form.setWidget(2, QFormLayout.ItemRole.LabelRole, self.phoneLabel)

        self.phoneEdit = QLineEdit(ProfileDialog)
        self.phoneEdit.setObjectName(u"phoneEdit")

        self.form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.phoneEdit)

        self.signatureLabel = QLabel(ProfileDialog)
        self.signatureLabel.setObjectName(u"signatureLabel")

        self.form.setWidget(3, QFormLayout.ItemRole.LabelRole, self.signatureLabel)

        self.signatureEdit = QPlainTextEdit(ProfileDialog)
        self.signatureEdit.setObjectName(u"signatureEdit")
        self.signatureEdit.setTabChangesFocus(True)

        self.form.setWidget(3, QFormLayout.ItemRole.FieldRole, self.signatureEdit)

        self.reportLanguageLabel = QLabel(ProfileDialog)
        self.reportLanguageLabel.setObjectName(u"reportLanguageLabel")

        self.form.setWidget(4, QFormLayout.ItemRole.LabelRole, self.reportLanguageLabel)

        self.reportLanguageCombo = QComboBox(ProfileDialog)
        self.reportLanguageCombo.setObjectName(u"reportLanguageCombo")

        self.form.setWidget(4, QFormLayout.ItemRole.FieldRole, self.reportLanguageCombo)


        self.mainLayout.addLayout(self.form)

        self.problem = QLabel(ProfileDialog)
        self.problem.setObjectName(u"problem")
        self.problem.setStyleSheet(u"color: #b00020;")
        self.problem.setWordWrap(True)

        self.mainLayout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(ProfileDialog)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Save)

        self.mainLayout.addWidget(self.buttons)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.emailLabel.setBuddy(self.emailEdit)
        self.phoneLabel.setBuddy(self.phoneEdit)
        self.signatureLabel.setBuddy(self.signatureEdit)
        self.reportLanguageLabel.setBuddy(self.reportLanguageCombo)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(ProfileDialog)
        self.buttons.rejected.connect(ProfileDialog.reject)

        QMetaObject.connectSlotsByName(ProfileDialog)
    # setupUi

    def retranslateUi(self, ProfileDialog):
        ProfileDialog.setWindowTitle(QCoreApplication.translate("ProfileDialog", u"Your profile", None))
        self.intro.setText(QCoreApplication.translate("ProfileDialog", u"Your name and details sign every timeline entry, audit record and report you make. They stay on this computer and can be changed at any time (File \u25b8 Your profile).", None))
        self.nameLabel.setText(QCoreApplication.translate("ProfileDialog", u"&Name:", None))
        self.emailLabel.setText(QCoreApplication.translate("ProfileDialog", u"&E-mail:", None))
        self.phoneLabel.setText(QCoreApplication.translate("ProfileDialog", u"&Phone:", None))
        self.signatureLabel.setText(QCoreApplication.translate("ProfileDialog", u"&Signature block:", None))
        self.signatureEdit.setPlaceholderText(QCoreApplication.translate("ProfileDialog", u"Name, title, company, as printed under your signature on reports", None))
        self.reportLanguageLabel.setText(QCoreApplication.translate("ProfileDialog", u"&Report language:", None))
    # retranslateUi

