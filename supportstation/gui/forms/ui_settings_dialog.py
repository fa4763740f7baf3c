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
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QComboBox,
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
    QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QProgressBar, QPushButton, QSizePolicy, QSpacerItem,
    QSpinBox, QTabWidget, QVBoxLayout, QWidget)

class Ui_SettingsDialog(object):
    def setupUi(self, SettingsDialog):
        if not SettingsDialog.objectName():
            SettingsDialog.setObjectName(u"SettingsDialog")
        SettingsDialog.resize(620, 520)
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

        self.commandLineLabel = QLabel(self.generalTab)
        self.commandLineLabel.setObjectName(u"commandLineLabel")

        self.generalForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.commandLineLabel)

        self.commandAgentCheck = QCheckBox(self.generalTab)
        self.commandAgentCheck.setObjectName(u"commandAgentCheck")

        self.generalForm.setWidget(4, QFormLayout.ItemRole.FieldRole, self.commandAgentCheck)

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
        self.mailTab = QWidget()
        self.mailTab.setObjectName(u"mailTab")
        self.mailForm = QFormLayout(self.mailTab)
        self.mailForm.setObjectName(u"mailForm")
        self.mailHostLabel = QLabel(self.mailTab)
        self.mailHostLabel.setObjectName(u"mailHostLabel")

        self.mailForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.mailHostLabel)

        self.mailServerRow = QHBoxLayout()
        self.mailServerRow.setObjectName(u"mailServerRow")
        self.mailHostEdit = QLineEdit(self.mailTab)
        self.mailHostEdit.setObjectName(u"mailHostEdit")

        self.mailServerRow.addWidget(self.mailHostEdit)

        self.mailPortLabel = QLabel(self.mailTab)
        self.mailPortLabel.setObjectName(u"mailPortLabel")

        self.mailServerRow.addWidget(self.mailPortLabel)

        self.mailPortSpin = QSpinBox(self.mailTab)
        self.mailPortSpin.setObjectName(u"mailPortSpin")
        self.mailPortSpin.setMinimum(1)
        self.mailPortSpin.setMaximum(65535)
        self.mailPortSpin.setValue(587)

        self.mailServerRow.addWidget(self.mailPortSpin)


        self.mailForm.setLayout(0, QFormLayout.ItemRole.FieldRole, self.mailServerRow)

        self.mailSecurityLabel = QLabel(self.mailTab)
        self.mailSecurityLabel.setObjectName(u"mailSecurityLabel")

        self.mailForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.mailSecurityLabel)

        self.mailSecurityColumn = QVBoxLayout()
        self.mailSecurityColumn.setObjectName(u"mailSecurityColumn")
        self.mailSecurityCombo = QComboBox(self.mailTab)
        self.mailSecurityCombo.setObjectName(u"mailSecurityCombo")

        self.mailSecurityColumn.addWidget(self.mailSecurityCombo)

        self.mailSecurityWarning = QLabel(self.mailTab)
        self.mailSecurityWarning.setObjectName(u"mailSecurityWarning")
        self.mailSecurityWarning.setAlignment(Qt.AlignmentFlag.AlignLeading|Qt.AlignmentFlag.AlignTop)
        self.mailSecurityWarning.setWordWrap(True)

        self.mailSecurityColumn.addWidget(self.mailSecurityWarning)


        self.mailForm.setLayout(1, QFormLayout.ItemRole.FieldRole, self.mailSecurityColumn)

        self.mailUsernameLabel = QLabel(self.mailTab)
        self.mailUsernameLabel.setObjectName(u"mailUsernameLabel")

        self.mailForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.mailUsernameLabel)

        self.mailUsernameEdit = QLineEdit(self.mailTab)
        self.mailUsernameEdit.setObjectName(u"mailUsernameEdit")

        self.mailForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.mailUsernameEdit)

        self.mailPasswordLabel = QLabel(self.mailTab)
        self.mailPasswordLabel.setObjectName(u"mailPasswordLabel")

        self.mailForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.mailPasswordLabel)

        self.mailPasswordRow = QHBoxLayout()
        self.mailPasswordRow.setObjectName(u"mailPasswordRow")
        self.mailPasswordEdit = QLineEdit(self.mailTab)
        self.mailPasswordEdit.setObjectName(u"mailPasswordEdit")
        self.mailPasswordEdit.setEchoMode(QLineEdit.EchoMode.Password)

        self.mailPasswordRow.addWidget(self.mailPasswordEdit)

        self.mailForgetPassword = QCheckBox(self.mailTab)
        self.mailForgetPassword.setObjectName(u"mailForgetPassword")

        self.mailPasswordRow.addWidget(self.mailForgetPassword)


        self.mailForm.setLayout(3, QFormLayout.ItemRole.FieldRole, self.mailPasswordRow)

        self.mailFromAddressLabel = QLabel(self.mailTab)
        self.mailFromAddressLabel.setObjectName(u"mailFromAddressLabel")

        self.mailForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.mailFromAddressLabel)

        self.mailFromAddressColumn = QVBoxLayout()
        self.mailFromAddressColumn.setObjectName(u"mailFromAddressColumn")
        self.mailFromAddressEdit = QLineEdit(self.mailTab)
        self.mailFromAddressEdit.setObjectName(u"mailFromAddressEdit")

        self.mailFromAddressColumn.addWidget(self.mailFromAddressEdit)

        self.mailFromAddressProblem = QLabel(self.mailTab)
        self.mailFromAddressProblem.setObjectName(u"mailFromAddressProblem")
        self.mailFromAddressProblem.setAlignment(Qt.AlignmentFlag.AlignLeading|Qt.AlignmentFlag.AlignTop)
        self.mailFromAddressProblem.setWordWrap(True)

        self.mailFromAddressColumn.addWidget(self.mailFromAddressProblem)


        self.mailForm.setLayout(4, QFormLayout.ItemRole.FieldRole, self.mailFromAddressColumn)

        self.mailFromNameLabel = QLabel(self.mailTab)
        self.mailFromNameLabel.setObjectName(u"mailFromNameLabel")

        self.mailForm.setWidget(5, QFormLayout.ItemRole.LabelRole, self.mailFromNameLabel)

        self.mailFromNameEdit = QLineEdit(self.mailTab)
        self.mailFromNameEdit.setObjectName(u"mailFromNameEdit")

        self.mailForm.setWidget(5, QFormLayout.ItemRole.FieldRole, self.mailFromNameEdit)

        self.mailCaFileLabel = QLabel(self.mailTab)
        self.mailCaFileLabel.setObjectName(u"mailCaFileLabel")

        self.mailForm.setWidget(6, QFormLayout.ItemRole.LabelRole, self.mailCaFileLabel)

        self.mailCaFileRow = QHBoxLayout()
        self.mailCaFileRow.setObjectName(u"mailCaFileRow")
        self.mailCaFileEdit = QLineEdit(self.mailTab)
        self.mailCaFileEdit.setObjectName(u"mailCaFileEdit")
        self.mailCaFileEdit.setClearButtonEnabled(True)

        self.mailCaFileRow.addWidget(self.mailCaFileEdit)

        self.mailCaFileBrowse = QPushButton(self.mailTab)
        self.mailCaFileBrowse.setObjectName(u"mailCaFileBrowse")

        self.mailCaFileRow.addWidget(self.mailCaFileBrowse)


        self.mailForm.setLayout(6, QFormLayout.ItemRole.FieldRole, self.mailCaFileRow)

        self.mailTimeoutLabel = QLabel(self.mailTab)
        self.mailTimeoutLabel.setObjectName(u"mailTimeoutLabel")

        self.mailForm.setWidget(7, QFormLayout.ItemRole.LabelRole, self.mailTimeoutLabel)

        self.mailTimeoutSpin = QDoubleSpinBox(self.mailTab)
        self.mailTimeoutSpin.setObjectName(u"mailTimeoutSpin")
        sizePolicy = QSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        sizePolicy.setHorizontalStretch(0)
        sizePolicy.setVerticalStretch(0)
        sizePolicy.setHeightForWidth(self.mailTimeoutSpin.sizePolicy().hasHeightForWidth())
        self.mailTimeoutSpin.setSizePolicy(sizePolicy)
        self.mailTimeoutSpin.setDecimals(0)
        self.mailTimeoutSpin.setMinimum(1.000000000000000)
        self.mailTimeoutSpin.setMaximum(600.000000000000000)
        self.mailTimeoutSpin.setValue(30.000000000000000)

        self.mailForm.setWidget(7, QFormLayout.ItemRole.FieldRole, self.mailTimeoutSpin)

        self.mailTestColumn = QVBoxLayout()
        self.mailTestColumn.setObjectName(u"mailTestColumn")
        self.mailTestRow = QHBoxLayout()
        self.mailTestRow.setObjectName(u"mailTestRow")
        self.mailTestButton = QPushButton(self.mailTab)
        self.mailTestButton.setObjectName(u"mailTestButton")

        self.mailTestRow.addWidget(self.mailTestButton)

        self.mailTestBusy = QProgressBar(self.mailTab)
        self.mailTestBusy.setObjectName(u"mailTestBusy")
        self.mailTestBusy.setMaximum(0)
        self.mailTestBusy.setTextVisible(False)
        self.mailTestBusy.setMaximumSize(QSize(120, 16777215))

        self.mailTestRow.addWidget(self.mailTestBusy)

        self.mailTestSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.mailTestRow.addItem(self.mailTestSpacer)


        self.mailTestColumn.addLayout(self.mailTestRow)

        self.mailTestResult = QLabel(self.mailTab)
        self.mailTestResult.setObjectName(u"mailTestResult")
        self.mailTestResult.setAlignment(Qt.AlignmentFlag.AlignLeading|Qt.AlignmentFlag.AlignTop)
        self.mailTestResult.setWordWrap(True)
        self.mailTestResult.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.mailTestColumn.addWidget(self.mailTestResult)


        self.mailForm.setLayout(8, QFormLayout.ItemRole.FieldRole, self.mailTestColumn)

        self.tabs.addTab(self.mailTab, "")

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
        self.mailHostLabel.setBuddy(self.mailHostEdit)
        self.mailPortLabel.setBuddy(self.mailPortSpin)
        self.mailSecurityLabel.setBuddy(self.mailSecurityCombo)
        self.mailUsernameLabel.setBuddy(self.mailUsernameEdit)
        self.mailPasswordLabel.setBuddy(self.mailPasswordEdit)
        self.mailFromAddressLabel.setBuddy(self.mailFromAddressEdit)
        self.mailFromNameLabel.setBuddy(self.mailFromNameEdit)
        self.mailCaFileLabel.setBuddy(self.mailCaFileEdit)
        self.mailTimeoutLabel.setBuddy(self.mailTimeoutSpin)
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
        self.commandLineLabel.setText(QCoreApplication.translate("SettingsDialog", u"Command line:", None))
        self.commandAgentCheck.setText(QCoreApplication.translate("SettingsDialog", u"&Keep SupportStation loaded between terminal commands, so that they start sooner", None))
#if QT_CONFIG(tooltip)
        self.commandAgentCheck.setToolTip(QCoreApplication.translate("SettingsDialog", u"A command run in a terminal starts the agent in the background: the next commands start from it, with SupportStation already loaded. It holds no password and stops after 30 minutes without a command.", None))
#endif // QT_CONFIG(tooltip)
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
        self.mailHostLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Server:", None))
        self.mailHostEdit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", u"smtp.example.fr \u2014 empty: reports are not e-mailed", None))
        self.mailPortLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Port:", None))
        self.mailSecurityLabel.setText(QCoreApplication.translate("SettingsDialog", u"S&ecurity:", None))
        self.mailUsernameLabel.setText(QCoreApplication.translate("SettingsDialog", u"&User name:", None))
        self.mailUsernameEdit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", u"empty: the server takes mail without a login", None))
        self.mailPasswordLabel.setText(QCoreApplication.translate("SettingsDialog", u"Pass&word:", None))
#if QT_CONFIG(tooltip)
        self.mailPasswordEdit.setToolTip(QCoreApplication.translate("SettingsDialog", u"Kept in the vault, never in the settings file. Leave it empty to keep the stored password.", None))
#endif // QT_CONFIG(tooltip)
        self.mailForgetPassword.setText(QCoreApplication.translate("SettingsDialog", u"&Forget the stored password", None))
        self.mailFromAddressLabel.setText(QCoreApplication.translate("SettingsDialog", u"Sender &address:", None))
        self.mailFromAddressEdit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", u"support@example.fr", None))
        self.mailFromNameLabel.setText(QCoreApplication.translate("SettingsDialog", u"Sender &name:", None))
        self.mailCaFileLabel.setText(QCoreApplication.translate("SettingsDialog", u"&CA file:", None))
        self.mailCaFileEdit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", u"empty: the certificate authorities of your system", None))
        self.mailCaFileBrowse.setText(QCoreApplication.translate("SettingsDialog", u"Browse\u2026", None))
        self.mailTimeoutLabel.setText(QCoreApplication.translate("SettingsDialog", u"&Timeout:", None))
        self.mailTimeoutSpin.setSuffix(QCoreApplication.translate("SettingsDialog", u" s", None))
        self.mailTestButton.setText(QCoreApplication.translate("SettingsDialog", u"Test the co&nnection", None))
        self.tabs.setTabText(self.tabs.indexOf(self.mailTab), QCoreApplication.translate("SettingsDialog", u"E-mail", None))
    # retranslateUi

