"""The desktop window (a first, small shell: search the workspace, read the answer)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.desk import Desk
from core.errors import PatentDeskError


class Worker(QObject):
    """Runs one core call off the UI thread."""

    done = Signal(object)
    failed = Signal(str)
    progress = Signal(str)

    def __init__(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.fn, self.args = fn, args

    def run(self) -> None:
        try:
            self.done.emit(self.fn(*self.args))
        except PatentDeskError as exc:
            self.failed.emit(str(exc))


class MainWindow(QMainWindow):
    def __init__(self, workspace: str) -> None:
        super().__init__()
        self.setWindowTitle(f"Patent Desk — {workspace}")
        self.resize(960, 640)
        self.workspace = workspace
        self.desk: Desk | None = None
        self.status = QLabel("Opening workspace…")
        self.query = QLineEdit(placeholderText="Ask a question, e.g. 新型專利技術報告有什麼用？")
        self.ask_button = QPushButton("Ask")
        self.results = QListWidget()
        self.answer = QPlainTextEdit(readOnly=True)
        splitter = QSplitter()
        splitter.addWidget(self.results)
        splitter.addWidget(self.answer)
        layout = QVBoxLayout()
        for widget in (self.query, self.ask_button, splitter, self.status):
            layout.addWidget(widget)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.query.returnPressed.connect(self.ask)
        self.ask_button.clicked.connect(self.ask)
        self.ask_button.setEnabled(False)
        self._threads: list[QThread] = []
        self._start(self._open, self._opened)

    def _start(self, fn, on_done, *args) -> None:  # type: ignore[no-untyped-def]
        thread = QThread(self)
        worker = Worker(fn, *args)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(on_done)
        worker.failed.connect(self.status.setText)
        worker.progress.connect(self.status.setText)
        worker.done.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.finished.connect(lambda: self._threads.remove(thread))
        thread._worker = worker  # type: ignore[attr-defined]  # keep it alive
        self._threads.append(thread)
        self._worker = worker
        thread.start()

    def _open(self) -> Desk:
        worker = self._worker

        def report(stage: str, done: int, total: int) -> None:
            worker.progress.emit(f"{stage}… {done}/{total}" if total > 1 else f"{stage}…")

        desk = Desk(self.workspace, progress=report)
        desk.ensure_vectors()
        desk.progress = None
        return desk

    def _opened(self, desk: Desk) -> None:
        self.desk = desk
        self.status.setText(f"{desk.ws.count_items()} items in workspace '{desk.ws.name}'")
        self.ask_button.setEnabled(True)

    def ask(self) -> None:
        if self.desk is None or not self.query.text().strip():
            return
        self.ask_button.setEnabled(False)
        self.status.setText("Searching…")
        self._start(self.desk.ask, self._answered, self.query.text().strip())

    def _answered(self, result) -> None:  # type: ignore[no-untyped-def]
        self.results.clear()
        for hit in result.hits:
            self.results.addItem(f"[{hit.item.id}] {hit.item.question}")
        self.answer.setPlainText(result.text)
        self.status.setText(f"Answered by: {result.model}")
        self.ask_button.setEnabled(True)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        for thread in list(self._threads):
            thread.quit()
            thread.wait(30000)
        if self.desk is not None:
            self.desk.close()
        super().closeEvent(event)


def run(workspace: str = "default") -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow("demo" if workspace == "default" else workspace)
    window.show()
    return app.exec()
