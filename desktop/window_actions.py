"""The main window's actions (each with its shortcut, working whichever page has the focus),
its menus and its toolbar. Kept apart from desktop.main_window, which opens workspaces and
serves the pages; the texts keep the window's translation context ("MainWindow")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QToolBar

from desktop.settings import icon

# The window is desktop.main_window.MainWindow, which imports this module: naming its type
# here, even for type checkers only, would make an import cycle.
Window = Any


def build_actions(window: Window) -> None:
    """Sets the window's `*_action` attributes (tests and the menus use them)."""

    def action(text: str, slot: Callable[[], object], shortcut: str | None = None,
               icon_name: str | None = None) -> QAction:
        act = QAction(icon(icon_name), text, window) if icon_name else QAction(text, window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        window.addAction(act)  # shortcuts work whichever page has the focus
        return act

    # QCoreApplication.translate spelled out each time: lupdate finds no text behind an alias.
    window.import_action = action(
        QCoreApplication.translate("MainWindow", "Import…"), window.import_files, "Ctrl+I",
        "import")
    window.export_action = action(
        QCoreApplication.translate("MainWindow", "Export…"), window.ask_export, None,
        "export")
    window.switch_action = action(
        QCoreApplication.translate("MainWindow", "Switch workspace…"), window.focus_switcher,
        "Ctrl+Shift+W", "workspace")
    window.settings_action = action(
        QCoreApplication.translate("MainWindow", "Settings…"), window.show_settings, None,
        "settings")
    window.quit_action = action(
        QCoreApplication.translate("MainWindow", "Quit"), window.close, "Ctrl+Q")
    window.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    window.filter_action = action(
        QCoreApplication.translate("MainWindow", "Filter entries"), window.focus_filter,
        "Ctrl+F")
    window.ask_action = action(
        QCoreApplication.translate("MainWindow", "Ask a question"), window.focus_ask, "Ctrl+L")
    window.log_action = action(
        QCoreApplication.translate("MainWindow", "Open log folder"), window.open_log_folder)
    window.about_action = action(
        QCoreApplication.translate("MainWindow", "About Patent Desk"), window.show_about)
    window.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    window.import_action.setToolTip(
        QCoreApplication.translate("MainWindow", "Import spreadsheets (Ctrl+I)"))
    window.export_action.setToolTip(
        QCoreApplication.translate("MainWindow", "Export the entries to XLSX or CSV"))


def build_menus_and_toolbar(window: Window) -> None:
    file_menu = window.menuBar().addMenu(QCoreApplication.translate("MainWindow", "&File"))
    file_menu.addActions([window.import_action, window.export_action])
    file_menu.addSeparator()
    file_menu.addAction(window.switch_action)
    file_menu.addActions(window.switcher.actions())
    file_menu.addSeparator()
    file_menu.addAction(window.settings_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)
    help_menu = window.menuBar().addMenu(QCoreApplication.translate("MainWindow", "&Help"))
    help_menu.addActions([window.log_action, window.about_action])

    bar = QToolBar(QCoreApplication.translate("MainWindow", "Main"), objectName="main-toolbar",
                   movable=False)
    bar.setIconSize(QSize(20, 20))  # SVG icons: drawn sharp at any screen scale
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.addActions([window.import_action, window.export_action])
    bar.addSeparator()
    bar.addWidget(QLabel(QCoreApplication.translate("MainWindow", "Workspace:") + " "))
    bar.addWidget(window.switcher.combo)
    for act in window.switcher.actions():
        bar.addAction(act)
        bar.widgetForAction(act).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    window.addToolBar(bar)
