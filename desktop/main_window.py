"""The main window: opens a workspace in the background and hosts the pages.

Pages receive this window as their host and use only:
  host.desk            the open core Desk, or None while opening
  host.desk_changed    Signal(object): a Desk was opened (or None: closed)
  host.jobs            JobRunner for anything slower than a blink
  host.show_status(s)  a line in the status bar
  host.show_error(s)   a readable error (dialog unless tests silence it) + status line
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressBar, QTabWidget

from core.desk import Desk
from desktop.jobs import JobContext, JobRunner

log = logging.getLogger("patent_desk.desktop")


class MainWindow(QMainWindow):
    desk_changed = Signal(object)

    def __init__(self, workspace: str, dialogs: bool = True) -> None:
        super().__init__()
        self.dialogs = dialogs  # tests turn modal dialogs off; messages still reach the status
        self.resize(1100, 720)
        self.desk: Desk | None = None
        self.jobs = JobRunner(self)
        self.status = QLabel()
        self.progress = QProgressBar(maximumWidth=240, visible=False)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self._add_pages()
        self.open_workspace(workspace)

    def _add_pages(self) -> None:
        from desktop.pages.ask import AskPage

        self.ask_page = AskPage(self)
        self.tabs.addTab(self.ask_page, self.tr("Ask"))

    # -- host services ----------------------------------------------------------------------
    def show_status(self, message: str) -> None:
        self.status.setText(message)

    def show_error(self, message: str) -> None:
        log.info("error shown: %s", message)
        self.show_status(message)
        if self.dialogs:
            QMessageBox.warning(self, self.tr("Patent Desk"), message)

    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setMaximum(max(total, 1) if total > 1 else 0)
        self.progress.setValue(done)
        self.show_status(f"{stage}… {done}/{total}" if total > 1 else f"{stage}…")

    def hide_progress(self) -> None:
        self.progress.setVisible(False)

    # -- workspace --------------------------------------------------------------------------
    def open_workspace(self, name: str) -> None:
        self.setWindowTitle(f"Patent Desk — {name}")
        if self.desk is not None:
            self.desk.close()
            self.desk = None
            self.desk_changed.emit(None)
        self.show_status(self.tr("Opening workspace…"))

        def work(ctx: JobContext) -> Desk:
            desk = Desk(name, progress=ctx.progress, cancel=ctx.cancel)
            desk.ensure_vectors()
            desk.progress, desk.cancel = None, None
            return desk

        self.jobs.start(work, self._opened, self._open_failed, self.show_progress,
                        self._open_failed)

    def _opened(self, desk: Desk) -> None:
        self.hide_progress()
        self.desk = desk
        self.show_status(self.tr("{n} items in workspace '{name}'").format(
            n=desk.ws.count_items(), name=desk.ws.name))
        self.desk_changed.emit(desk)

    def _open_failed(self, message: str) -> None:
        self.hide_progress()
        self.show_error(message)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.jobs.cancel_all()
        if self.desk is not None:
            self.desk.close()
            self.desk = None
        super().closeEvent(event)
