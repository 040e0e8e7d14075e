"""Training queries written in the background after an import, and their status-bar label
("Training questions: 12 of 725 entries") with a Stop button.

One click of Improve retrieval then finds them stored (core: Desk.prepare_queries, the same
generation and split that `tune` runs, resumable), and spends its own LLM time on the next
entries. It starts once the window has been left alone for IDLE_MS after the entries
changed, never beside the vector fill (two cores) or a foreground job; a generated answer
stops it (it needs the LLM), and what it wrote is kept. It runs again at the next idle
spell until the entries' queries are written."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from core.desk import Desk
from core.tune.dataset import QueryReport
from desktop.host import Host
from desktop.jobs import Job, JobContext

log = logging.getLogger("patent_desk.desktop")
IDLE_MS = 30_000  # left alone this long: the user is reading, not asking


class QueryPrep(QObject):
    def __init__(self, window: Host) -> None:
        super().__init__()
        self.window = window
        self.pending = False  # entries changed since the last run
        self.job: Job | None = None
        self.report: QueryReport | None = None  # the last run's, for the status and tests
        self.widget = QWidget(visible=False)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr(
            "Stop writing training questions; what was written is kept for Improve "
            "retrieval."))
        self.stop_button.clicked.connect(lambda: self.stop())
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.stop_button)
        self.idle = QTimer(singleShot=True, interval=IDLE_MS)
        self.idle.timeout.connect(self._run)
        window.items_changed.connect(self._items_changed)
        window.jobs.busy_changed.connect(lambda _busy: self.start())  # activity: wait again
        window.desk_changed.connect(self._desk_changed)

    def running(self) -> bool:
        return self.job is not None and self.job.running()

    def _desk_changed(self, _desk: object) -> None:
        """Another workspace (or none): what was pending belonged to the one closed."""
        self.pending = False
        self.idle.stop()
        self.widget.setVisible(False)

    def _items_changed(self) -> None:
        self.pending = True
        self.start()

    def start(self) -> None:
        """Write the queries of changed entries after IDLE_MS with no job and no fill
        (each call starts the wait again)."""
        if self.pending and not self.running():
            self.idle.start()

    def _run(self) -> None:
        window, desk = self.window, self.window.desk
        if not self.pending or desk is None:
            return
        if window.jobs.busy(background=True):
            self.start()  # something runs (the fill, an answer): wait for the next spell
            return
        self.pending = False
        name, shared = desk.ws.name, desk

        def work(ctx: JobContext) -> QueryReport:
            # Its own connection, and one model process for both Desks: the window's LLM
            # if loaded, else the one this run loads (only when it fits the workspace).
            with Desk(name, ctx.progress, ctx.cancel, llm=shared.models.loaded_llm) as writer:
                report = writer.prepare_queries()
                shared.models.share_llm(writer.models.loaded_llm)
                return report

        self._progress("generating queries", 0, 0)
        self.job = window.jobs.start(work, self._done, self._failed, self._progress,
                                     self._stopped, background=True)

    def stop(self, wait: bool = False) -> None:
        """Stop at the next batch (a few seconds); written queries stay. `wait`: until
        it has stopped (a generated answer needs the LLM it uses)."""
        job = self.job
        if job is not None and job.running():
            job.cancel()
            self.label.setText(self.tr("Training questions: stopping…"))
            if wait:
                job.thread.wait(60_000)

    def _progress(self, stage: str, done: int, total: int) -> None:
        if stage != "generating queries":
            return
        self.label.setText(self.tr("Training questions: {done} of {total} entries")
                           .format(done=done, total=total) if total
                           else self.tr("Training questions: starting…"))
        self.stop_button.setVisible(True)
        self.widget.setVisible(True)

    def _done(self, report: QueryReport) -> None:
        # Said in its own label, not the status bar: it ends while the user does other things.
        self.job, self.report = None, report
        self.stop_button.setVisible(False)
        self.label.setText(self.tr("Training questions ready for Improve retrieval: {n} new")
                           .format(n=report.added))
        note = report.llm_note or report.llm_skipped
        self.label.setToolTip(note or "")

    def _stopped(self, message: str) -> None:
        self.job = None
        self.widget.setVisible(False)
        self.pending = True  # the rest is written at the next chance
        log.info("query preparation stopped: %s", message)

    def _failed(self, message: str) -> None:
        self.job = None
        self.stop_button.setVisible(False)
        log.info("query preparation failed: %s", message)
        self.label.setText(self.tr("Training questions were not written: {reason}")
                           .format(reason=message))
