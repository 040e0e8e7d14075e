"""Start the desktop app."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow


def run(workspace: str = "default") -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Patent Desk")
    app.setOrganizationName("Patent Desk")
    window = MainWindow("demo" if workspace == "default" else workspace)
    window.show()
    return app.exec()
