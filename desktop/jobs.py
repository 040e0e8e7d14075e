"""Background jobs: every slow core call runs in a QThread, reports progress, can be cancelled.

A job function receives a JobContext; it reports through it and polls `ctx.cancel`. Core
functions take the same `progress(stage, done, total)` callback and `cancel` Event, so
`ctx.progress` and `ctx.cancel` can be passed straight through (or bound to a Desk with
`bind`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.desk import Desk
from core.errors import Cancelled, PatentDeskError
from core.progress import Progress

log = logging.getLogger("patent_desk.desktop")


class _Signals(QObject):
    progress = Signal(str, int, int)
    token = Signal(str)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)


@dataclass
class JobContext:
    signals: _Signals
    cancel: threading.Event = field(default_factory=threading.Event)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.signals.progress.emit(stage, done, total)

    def token(self, piece: str) -> None:
        self.signals.token.emit(piece)


@contextmanager
def bind(desk: Desk, ctx: JobContext) -> Iterator[Desk]:
    """Let a Desk report this job's progress and obey its Cancel while the job runs."""
    old = desk.progress, desk.cancel
    desk.progress, desk.cancel = ctx.progress, ctx.cancel
    try:
        yield desk
    finally:
        desk.progress, desk.cancel = old


class _Thread(QThread):
    def __init__(self, fn: Callable[[JobContext], Any], ctx: JobContext) -> None:
        super().__init__()
        self.fn, self.ctx = fn, ctx

    def run(self) -> None:
        signals = self.ctx.signals
        try:
            result = self.fn(self.ctx)
        except Cancelled as exc:
            signals.cancelled.emit(str(exc))
        except PatentDeskError as exc:
            signals.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker must never take the UI down
            log.exception("job failed")
            signals.failed.emit(f"Something went wrong ({type(exc).__name__}: {exc}). "
                                "Details are in the log (Help → Open log folder).")
        else:
            signals.done.emit(result)


class Job(QObject):
    """One running job. Connect to `signals` before it starts (JobRunner.start does)."""

    def __init__(self, fn: Callable[[JobContext], Any], parent: QObject | None = None,
                 background: bool = False) -> None:
        super().__init__(parent)
        self.background = background
        self.signals = _Signals()
        self.ctx = JobContext(self.signals)
        self.thread = _Thread(fn, self.ctx)

    def cancel(self) -> None:
        self.ctx.cancel.set()

    def running(self) -> bool:
        return self.thread.isRunning()


class JobRunner(QObject):
    """Starts jobs and keeps them alive until they end; cancels and waits for all on close.

    A background job (the vector fill) does not make the window busy: Ask and the other
    pages stay usable. A foreground job stops it first (Cancel, then wait for its current
    batch), unless it may run beside it (`beside_background`: asking, exporting), because
    tuning, importing and model changes rewrite what the background job writes."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[Job] = []

    def start(self, fn: Callable[[JobContext], Any],
              on_done: Callable[[Any], None] | None = None,
              on_failed: Callable[[str], None] | None = None,
              on_progress: Progress | None = None,
              on_cancelled: Callable[[str], None] | None = None,
              on_token: Callable[[str], None] | None = None,
              background: bool = False, beside_background: bool = False) -> Job:
        if not background and not beside_background:
            self.stop_background()
        job = Job(fn, self, background)
        s = job.signals
        for signal, slot in ((s.done, on_done), (s.failed, on_failed),
                             (s.progress, on_progress), (s.cancelled, on_cancelled),
                             (s.token, on_token)):
            if slot is not None:
                signal.connect(slot)
        job.thread.finished.connect(lambda: self._finished(job))
        was_busy = self.busy()
        self.jobs.append(job)
        if not background and not was_busy:
            self.busy_changed.emit(True)
        job.thread.start()
        return job

    def _finished(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        if not job.background and not self.busy():
            self.busy_changed.emit(False)

    def busy(self, background: bool = False) -> bool:
        """A foreground job runs (with `background`: any job, the fill included)."""
        return any(background or not job.background for job in self.jobs)

    def stop_background(self, wait_ms: int = 60_000) -> None:
        """Cancel the background jobs and wait for them: each stops at its next batch."""
        for job in [j for j in self.jobs if j.background]:
            job.cancel()
            job.thread.wait(wait_ms)

    def cancel_all(self, wait_ms: int = 60_000) -> None:
        for job in list(self.jobs):
            job.cancel()
        for job in list(self.jobs):
            job.thread.wait(wait_ms)
