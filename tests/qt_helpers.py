"""Helpers for the desktop tests: open a real main window, answer the modal dialogs a user
would answer (input boxes, Yes/No questions) the way a user would."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from desktop.main_window import MainWindow

OPEN_TIMEOUT_MS = 180_000


def open_window(qtbot, workspace: str) -> MainWindow:  # type: ignore[no-untyped-def]
    """A shown main window on `workspace`, once the workspace is open and idle."""
    window = MainWindow(workspace, dialogs=False)
    qtbot.addWidget(window)
    window.show()
    wait_idle(qtbot, window)
    return window


def wait_idle(qtbot, window: MainWindow, timeout: int = OPEN_TIMEOUT_MS) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.desk is not None and not window.jobs.busy(),
                    timeout=timeout)


def answer_next_dialog(act: Callable[[QWidget], None], timeout_ms: int = 10_000) -> list[str]:
    """Arrange for the next modal dialog to be answered by `act` as soon as it shows;
    returns a list that receives the dialog's text (to assert what the user was asked)."""
    seen: list[str] = []
    timer = QTimer(interval=20)
    waited = [0]

    def poll() -> None:
        waited[0] += 20
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if waited[0] > timeout_ms:
                timer.stop()
            return
        timer.stop()
        if isinstance(dialog, QMessageBox):
            seen.append(dialog.text())
        elif isinstance(dialog, QInputDialog):
            seen.append(dialog.labelText())
        act(dialog)

    timer.timeout.connect(poll)
    timer.start()
    answer_next_dialog.timers.append(timer)  # type: ignore[attr-defined]  # keep it alive
    return seen


answer_next_dialog.timers = []  # type: ignore[attr-defined]


def type_text(text: str) -> Callable[[QWidget], None]:
    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue(text)
        dialog.accept()

    return act


def click(button: QMessageBox.StandardButton) -> Callable[[QWidget], None]:
    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog.button(button).click()

    return act
