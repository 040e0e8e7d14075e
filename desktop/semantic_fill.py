"""The vector fill in the background, and its "Semantic search: N% ready" label in the
status bar.

Ask answers from the lexical index from the moment a workspace opens; this fill adds the
dense channel behind everything else, on its own connection, so nothing waits for it.
Foreground jobs stop it (JobRunner runs one foreground job at a time) and the window starts
it again when they end."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

from core.desk import Desk
from desktop import plain_text
from desktop.host import Host
from desktop.jobs import Job, JobContext
from desktop.stages import stage_label

log = logging.getLogger("patent_desk.desktop")


class SemanticFill(QObject):
    def __init__(self, window: Host, on_filled: Callable[[], None]) -> None:
        """`on_filled`: called when every entry has its vector (the fill has measured what
        the encoder reads, so the window may have new warnings to show)."""
        super().__init__()
        self.window = window
        self.on_filled = on_filled
        self.label = QLabel(visible=False)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # reasons may quote stored text
        self.job: Job | None = None

    def start(self) -> None:
        """Embed the entries that have no vector yet: search uses the vectors present
        meanwhile. Does nothing while a foreground job runs or a fill is under way."""
        window, desk = self.window, self.window.desk
        if (desk is None or window.jobs.busy()
                or (self.job is not None and self.job.running())):
            return
        state = desk.semantic_state()
        if state.complete or desk.semantic_problem():  # the Ask banner says why
            self.label.setVisible(False)
            return
        self._progress("semantic search", state.done, state.total)
        name = desk.ws.name

        def work(ctx: JobContext) -> int:
            # Its own connection, so Ask reads meanwhile; models loaded once, shared both ways.
            shared = desk.models.encoders
            with Desk(name, ctx.progress, ctx.cancel, encoder=shared.loaded) as filler:
                filled = filler.fill_vectors()
                if shared.loaded is None:
                    shared.loaded = filler.models.encoders.loaded
                return filled

        self.job = window.jobs.start(work, self._filled, self._failed, self._progress,
                                     lambda _m: None, background=True)

    def stop(self) -> None:
        self.window.jobs.stop_background()
        self.label.setVisible(False)

    def _progress(self, stage: str, done: int, total: int) -> None:
        if stage == "semantic search":
            share = 100 * done // total if total else 100
            text = self.tr("Semantic search: {n}% ready").format(n=share)
        else:
            text = self.tr("Semantic search: {stage}…").format(stage=stage_label(stage))
        self.label.setText(text)
        self.label.setVisible(True)

    def _filled(self, _filled: int) -> None:
        self.label.setVisible(False)
        if self.window.desk is not None:
            self.on_filled()

    def _failed(self, message: str) -> None:
        log.info("vector fill failed: %s", message)
        self.label.setText(self.tr("Semantic search unavailable: {reason}")
                           .format(reason=message))
        self.label.setToolTip(plain_text.tooltip(message))  # may quote an encoder's path
        self.label.setVisible(True)
