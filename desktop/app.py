"""Start the desktop app."""

from __future__ import annotations

import logging
import os
import sys
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from core.logs import setup_logging
from desktop.fonts import ensure_cjk_font
from desktop.main_window import MainWindow
from desktop.settings import app_settings, icon, install_translators, saved_language

log = logging.getLogger("patent_desk.desktop")
FIRST_WORKSPACE = "demo"  # a first launch opens the bundled demo corpus


def startup_workspace(requested: str) -> str:
    """The workspace to open: the one asked for on the command line, else the one open at
    the last quit, else the demo. ('default' is the CLI's value when none was given.)"""
    if requested != "default":
        return requested
    return str(app_settings().value("workspace", FIRST_WORKSPACE) or FIRST_WORKSPACE)


def _excepthook(window: MainWindow | None):  # type: ignore[no-untyped-def]
    """An unexpected error in a slot: logged with its traceback, shown as one line."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, exc, tb))
        message = (f"Something went wrong ({kind.__name__}: {exc}). "
                   "Details are in the log (Help → Open log folder).")
        if window is not None:
            window.show_error(message)
        else:
            print(f"error: {message}", file=sys.stderr)

    return hook


def run(workspace: str = "default") -> int:
    log_dir = setup_logging()
    # Fractional scale factors (125%, 150%) as the screen has them: SVG icons stay sharp.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    ensure_cjk_font(app)  # before any widget: labels take the application font when made
    app.setApplicationName("Patent Desk")
    app.setOrganizationName("Patent Desk")
    app.setWindowIcon(icon("app"))
    locale = install_translators(app, saved_language())
    log.info("desktop starting (locale %s)", locale)
    window = MainWindow(startup_workspace(workspace))
    window.log_dir = log_dir
    sys.excepthook = _excepthook(window)
    script = os.environ.get("PATENT_DESK_SCRIPT")
    if script:
        from desktop.script import run_script

        window.dialogs = False  # a script has nobody to click a message box away
        run_script(window, script)
    window.show()
    return app.exec()
