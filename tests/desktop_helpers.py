"""Driving the real desktop window in tests (offscreen Qt, real workspace, real models)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser

from desktop.main_window import MainWindow

SLOW = 600_000  # ms: model loading and tuning on a shared two-core machine


def open_window(qtbot, workspace: str) -> MainWindow:
    window = MainWindow(workspace, dialogs=False)
    qtbot.addWidget(window)
    window.show()
    wait_idle(qtbot, window)
    assert window.desk is not None, window.status.text()
    return window


def wait_idle(qtbot, window: MainWindow, timeout: int = SLOW) -> None:
    """Until no job runs (the workspace opened, an answer came, tuning ended)."""
    qtbot.waitUntil(lambda: not window.jobs.busy(background=True), timeout=timeout)
    qtbot.wait(50)  # let the last queued signals reach the pages


def click_text(qtbot, browser: QTextBrowser, text: str) -> None:
    """A real mouse click on the first occurrence of `text` in a text browser."""
    found = browser.document().find(text)
    assert not found.isNull(), f"{text!r} not in {browser.toPlainText()!r}"
    cursor = QTextCursor(browser.document())
    cursor.setPosition(found.selectionStart() + 1)
    browser.setTextCursor(cursor)
    browser.ensureCursorVisible()
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton,
                     pos=browser.cursorRect(cursor).center())
