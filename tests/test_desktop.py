"""The desktop shell (offscreen Qt) over a real workspace and real models."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_window_opens_the_workspace_and_answers_a_question(qtbot, demo_workspace: str):
    window = MainWindow(demo_workspace, dialogs=False)
    qtbot.addWidget(window)
    window.show()
    page = window.ask_page
    qtbot.waitUntil(lambda: page.ask_button.isEnabled(), timeout=120_000)
    assert "725 items" in window.status.text()
    page.query.setText("新型專利技術報告有什麼用？")
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.sources.rowCount() > 0, timeout=120_000)
    assert "新型專利技術報告" in page.answer.toPlainText()
    assert "official answer" in window.status.text()
    window.close()
