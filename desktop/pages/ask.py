"""Ask: a question in, an answer with its sources out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.desk import Desk
from desktop.jobs import JobContext, bind

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


class AskPage(QWidget):
    def __init__(self, host: MainWindow) -> None:
        super().__init__()
        self.host = host
        self.query = QLineEdit(placeholderText=self.tr(
            "Ask a question, e.g. 新型專利技術報告有什麼用？"))
        self.ask_button = QPushButton(self.tr("Ask"), enabled=False)
        self.results = QListWidget()
        self.answer = QPlainTextEdit(readOnly=True)
        splitter = QSplitter()
        splitter.addWidget(self.results)
        splitter.addWidget(self.answer)
        layout = QVBoxLayout(self)
        for widget in (self.query, self.ask_button, splitter):
            layout.addWidget(widget)
        self.query.returnPressed.connect(self.ask)
        self.ask_button.clicked.connect(self.ask)
        host.desk_changed.connect(lambda desk: self.ask_button.setEnabled(desk is not None))

    def ask(self) -> None:
        desk, question = self.host.desk, self.query.text().strip()
        if desk is None or not question:
            return
        self.ask_button.setEnabled(False)
        self.host.show_status(self.tr("Searching…"))

        def work(ctx: JobContext) -> object:
            with bind(desk, ctx) as d:
                return Desk.ask(d, question)

        self.host.jobs.start(work, self._answered, self._failed)

    def _failed(self, message: str) -> None:
        self.ask_button.setEnabled(True)
        self.host.show_error(message)

    def _answered(self, result) -> None:  # type: ignore[no-untyped-def]
        self.results.clear()
        for hit in result.hits:
            self.results.addItem(f"[{hit.item.id}] {hit.item.question}")
        self.answer.setPlainText(result.text)
        self.host.show_status(self.tr("Answered by: {model}").format(model=result.model))
        self.ask_button.setEnabled(True)
