"""App-wide settings: where they are kept, the interface language, icons.

Settings live in an INI file in the data home (next to the workspaces), not in the
platform's registry: everything of Patent Desk is then in one folder to back up, and each
PATENT_DESK_HOME (every test has its own) has its own remembered window and workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, Qt, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from core import paths
from core.errors import PatentDeskError
from core.shared_settings import shared_setting
from core.store.address import STORE_ENV
from core.store.pg_server import choose_store

I18N_DIR = Path(__file__).resolve().parent / "i18n"
CATALOG = "patent_desk"
LANGUAGES = ("system", "en", "zh_TW")
_installed: list[QTranslator] = []


def app_settings() -> QSettings:
    return QSettings(str(paths.data_home() / "desktop.ini"), QSettings.Format.IniFormat)


def saved_language() -> str:
    value = str(app_settings().value("language", "system"))
    return value if value in LANGUAGES else "system"


def save_language(language: str) -> None:
    app_settings().setValue("language", language if language in LANGUAGES else "system")


def install_translators(app: QApplication, language: str = "system") -> str:
    """Load the interface language ('system': follow the OS locale); returns the locale
    used. Qt's own catalog comes too, so standard buttons (Next, Cancel, Yes) match."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    locale = QLocale.system() if language == "system" else QLocale(language)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for catalog, folder in ((CATALOG, str(I18N_DIR)), ("qtbase", qt_dir)):
        translator = QTranslator(app)
        # English is the source language: no catalog to load, and none must be found.
        if locale.language() != QLocale.Language.English and translator.load(
                locale, catalog, "_", folder):
            app.installTranslator(translator)
            _installed.append(translator)
    return locale.name()


def icon(name: str) -> QIcon:
    """A toolbar icon from resources/icons (SVG: sharp at any screen scale)."""
    return QIcon(str(paths.resource_dir() / "icons" / f"{name}.svg"))


class SettingsDialog(QDialog):
    """File → Settings…: the interface language (applied on the next start)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.language = QComboBox()
        names = {"system": self.tr("System"), "en": "English", "zh_TW": "繁體中文"}
        for code in LANGUAGES:
            self.language.addItem(names[code], code)
        self.language.setCurrentIndex(LANGUAGES.index(saved_language()))
        note = QLabel(self.tr("A new language takes effect when Patent Desk starts again."),
                      wordWrap=True)
        self.store = QLineEdit(clearButtonEnabled=True)
        self.store.setPlaceholderText(self.tr("empty: the workspaces on this computer"))
        self.store.setToolTip(self.tr(
            "A PostgreSQL database (with pgvector) that several seats share, e.g. "
            "postgresql://patentdesk@192.168.1.20/patentdesk; applies at once"))
        self.store.setText(str(shared_setting("store") or ""))
        self.store.setReadOnly(bool(os.environ.get(STORE_ENV)))  # the variable decides
        self.store_changed = False
        self.error = QLabel(wordWrap=True, visible=False)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(note)
        form.addRow(self.tr("Shared store"), self.store)
        form.addRow(self.error)
        form.addRow(buttons)

    def accept(self) -> None:
        url = self.store.text().strip()
        if not self.store.isReadOnly() and url != (shared_setting("store") or ""):
            try:
                choose_store(url or None)  # checked by core first; a bad one changes nothing
            except PatentDeskError as exc:
                self.error.setText(str(exc))
                self.error.setVisible(True)
                return
            self.store_changed = True
        save_language(str(self.language.currentData()))
        super().accept()
