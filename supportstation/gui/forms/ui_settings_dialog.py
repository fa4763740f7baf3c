# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'settings_dialog.ui'
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
    QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QPlainTextEdit, QPushButton, QSizePolicy,
    QTabWidget, QVBoxLayout, QWidget)

class Ui_SettingsDialog(object):
    def setupUi(self, SettingsDialog):
        if not SettingsDialog.objectName():
            SettingsDialog.setObjectName(u"SettingsDialog")
        SettingsDialog.resize(560, 460)
        self.mainLayout = QVBoxLayout(SettingsDialog)
        self.mainLayout.setObjectName(u"mainLayout")
        self.tabs = QTabWidget(SettingsDialog)
        self.tabs.setObjectName(u"tabs")
        self.generalTab = QWidget()
        self.generalTab.setObjectName(u"generalTab")
        self.generalForm = QFormLayout(self.generalTab)
        self.generalForm.setObjectName(u"generalForm")
        self.languageLabel = QLabel(self.generalTab)
        self.languageLabel.setObjectName(u"languageLabel")

        self.generalForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.languageLabel)

        self.languageCombo = QComboBox(self.generalTab)
        self.languageCombo.setObjectName(u"languageCombo")

        self.generalForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.languageCombo)

        self.dataFolderLabel = QLabel(self.generalTab)
        self.dataFolderLabel.setObjectName(u"dataFolderLabel")

        self.generalForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.dataFolderLabel)

        self.dataFolderRow = QHBoxLayout()
        self.dataFolderRow.setObjectName(u"dataFolderRow")
        self.dataFolderEdit = QLineEdit(self.generalTab)
        self.dataFolderEdit.setObjectName(u"dataFolderEdit")
        self.dataFolderEdit.setClearButtonEnabled(True)

        self.dataFolderRow.addWidget(self.dataFolderEdit)

        self.dataFolderBrowse = QPushButton(self.generalTab)
        self.dataFolderBrowse.setObjectName(u"dataFolderBrowse")

        self.dataFolderRow.addWidget(self.dataFolderBrowse)


        self.generalForm.setLayout(1, QFormLayout.ItemRole.FieldRole, self.dataFolderRow)

        self.restartNote = QLabel(self.generalTab)
        self.restartNote.setObjectName(u"restartNote")
        self.restartNote.setWordWrap(True)

        self.generalForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.restartNote)

        self.currentFoldersLabel = QLabel(self.generalTab)
        self.currentFoldersLabel.setObjectName(u"currentFoldersLabel")

        self.generalForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.currentFoldersLabel)

        self.currentFolders = QLabel(self.generalTab)
        self.currentFolders.setObjectName(u"currentFolders")
        self.currentFolders.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.currentFolders.setWordWrap(True)

        self.generalForm.setWidget(3, QFormLayout.ItemRole.FieldRole, self.currentFolders)

        self.tabs.addTab(self.generalTab, "")
        self.companyTab = QWidget()
        self.companyTab.setObjectName(u"companyTab")
        self.companyForm = QFormLayout(self.companyTab)
        self.companyForm.setObjectName(u"companyForm")
        self.companyNameLabel = QLabel(self.companyTab)
        self.companyNameLabel.setObjectName(u"companyNameLabel")

        self.companyForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.companyNameLabel)

        self.companyNameEdit = QLineEdit(self.companyTab)
        self.companyNameEdit.setObjectName(u"companyNameEdit")

        self.companyForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.companyNameEdit)

        self.companyAddressLabel = QLabel(self.companyTab)
        self.companyAddressLabel.setObjectName(u"companyAddressLabel")

        self.companyForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.companyAddressLabel)

        self.companyAddressEdit = QPlainTextEdit(self.companyTab)
        self.companyAddressEdit.setObjectName(u"companyAddressEdit")
        self.companyAddressEdit.setTabChangesFocus(True)
        self.companyAddressEdit.setMaximumSize(QSize(16777215, 70))

        self.companyForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.companyAddressEdit)

        self.companyPhoneLabel = QLabel(self.companyTab)
        self.companyPhoneLabel.setObjectName(u"companyPhoneLabel")

        self.companyForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.companyPhoneLabel)

        self.companyPhoneEdit = QLineEdit(self.companyTab)
        self.companyPhoneEdit.setObjectName(u"companyPhoneEdit")

        self.companyForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.companyPhoneEdit)

        self.companyEmailLabel = QLabel(self.companyTab)
        self.companyEmailLabel.setObjectName(u"companyEmailLabel")

        self.companyForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.companyEmailLabel)

        self.companyEmailEdit = QLineEdit(self.companyTab)
        self.companyEmailEdit.setObjectName(u"companyEmailEdit")

        self.companyForm.setWidget(3, QFormLayout.ItemRole.FieldRole, self.companyEmailEdit)

        self.companyWebsiteLabel = QLabel(self.companyTab)
        self.companyWebsiteLabel.setObjectName(u"companyWebsiteLabel")

        self.companyForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.companyWebsiteLabel)

        self.companyWebsiteEdit = QLineEdit(self.companyTab)
        self.companyWebsiteEdit.setObjectName(u"companyWebsiteEdit")

        self.companyForm.setWidget(4, QFormLayout.ItemRole.FieldRole, self.companyWebsiteEdit)

        self.legalFooterLabel = QLabel(self.companyTab)
        self.legalFooterLabel.setObjectName(u"legalFooterLabel")

        self.companyForm.setWidget(5, QFormLayout.ItemRole.LabelRole, self.legalFooterLabel)

        self.legalFooterEdit = QPlainTextEdit(self.companyTab)
        self.legalFooterEdit.setObjectName(u"legalFooterEdit")
        self.legalFooterEdit.setTabChangesFocus(True)
        self.legalFooterEdit.setMaximumSize(QSize(16777215, 70))

        self.companyForm.setWidget(5, QFormLayout.ItemRole.FieldRole, self.legalFooterEdit)

        self.logoLabel = QLabel(self.companyTab)
        self.logoLabel.setObjectName(u"logoLabel")

        self.companyForm.setWidget(6, QFormLayout.ItemRole.LabelRole, self.logoLabel)

        self.logoRow = QHBoxLayout()
        self.logoRow.setObjectName(u"logoRow")
        self.logoEdit = QLineEdit(self.companyTab)
        self.logoEdit.setObjectName(u"logoEdit")
        self.logoEdit.setClearButtonEnabled(True)

        self.logoRow.addWidget(self.logoEdit)

        self.logoBrowse = QPushButton(self.companyTab)
        self.logoBrowse.setObjectName(u"logoBrowse")

        self.logoRow.addWidget(self.logoBrowse)


        self.companyForm.setLayout(6, QFormLayout.ItemRole.FieldRole, self.logoRow)

        self.companyNote = QLabel(self.companyTab)
        self.companyNote.setObjectName(u"companyNote")
        self.companyNote.setWordWrap(True)

        self.companyForm.setWidget(7, QFormLayout.ItemRole.FieldRole, self.companyNote)

        self.tabs.addTab(self.companyTab, "")

        self.mainLayout.addWidget(self.tabs)

        self.buttons = QDialogButtonBox(SettingsDialog)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Ok)

        self.mainLayout.addWidget(self.buttons)

#if QT_CONFIG(shortcut)
        self.languageLabel.setBuddy(self.languageCombo)
        self.dataFolderLabel.setBuddy(self.dataFolderEdit)
        self.companyNameLabel.setBuddy(self.companyNameEdit)
        self.companyAddressLabel.setBuddy(self.companyAddressEdit)
        self.companyPhoneLabel.setBuddy(self.companyPhoneEdit)
        self.companyEmailLabel.setBuddy(self.companyEmailEdit)
        self.companyWebsiteLabel.setBuddy(self.companyWebsiteEdit)
        self.legalFooterLabel.setBuddy(self.legalFooterEdit)
        self.logoLabel.setBuddy(self.logoEdit)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(SettingsDialog)
        self.buttons.accepted.connect(SettingsDialog.accept)
        self.buttons.rejected.connect(SettingsDialog.reject)

        self.tabs.setCurrentIndex(0)


        QMetaObject.connectSlotsByName(SettingsDialog)
    # setupUi

    def retranslateUi(self, SettingsDialog):
        SettingsDialog.setWindowTitle(QCoreApplication.translate("SettingsDialog", u"Settings", None))
        self.languageLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Language:", None))
        self.dataFolderLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Data folder:", None))
        self.dataFolderBrowse.setText(QCoreApplication.translate("SettingsDialog", u"Browse\u2026", None))
        self.restartNote.setText(QCoreApplication.translate("SettingsDialog", u"Empty means the usual folder of your system. Language and data folder changes apply when SupportStation restarts.", None))
        self.currentFoldersLabel.setText(QCoreApplication.translate("SettingsDialog", u"In use:", None))
        self.tabs.setTabText(self.tabs.indexOf(self.generalTab), QCoreApplication.translate("SettingsDialog", u"General", None))
        self.companyNameLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Name:", None))
        self.companyAddressLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Address:", None))
        self.companyPhoneLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Phone:", None))
        self.companyEmailLabel.setText(QCoreApplication.translate("SettingsDialog", u"&E-mail:", None))
        self.companyWebsiteLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Website:", None))
        self.legalFooterLabel.setText(QCoreApplication.translate("SettingsDialog", u"Le&gal footer:", None))
        self.legalFooterEdit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", u"Legal form, capital, registration number, VAT number\u2026", None))
        self.logoLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Logo:", None))
        self.logoBrowse.setText(QCoreApplication.translate("SettingsDialog", u"Browse\u2026", None))
        self.companyNote.setText(QCoreApplication.translate("SettingsDialog", u"These details head and sign every intervention report.", None))
        self.tabs.setTabText(self.tabs.indexOf(self.companyTab), QCoreApplication.translate("SettingsDialog", u"Company", None))
    # retranslateUi

