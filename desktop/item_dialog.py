"""A read-only view of one knowledge-base entry: what a citation or a source row opens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTextBrowser,
    QWidget,
)

from core.records import Item


class ItemDialog(QDialog):
    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle(self.tr("Entry {id}").format(id=item.id))
        self.resize(640, 480)
        self.question = QLabel(item.question, wordWrap=True)
        self.answer = QTextBrowser()
        self.answer.setPlainText(item.answer)  # plain: an answer's text is data, not markup
        self.category = QLabel(item.category or self.tr("(none)"))
        self.source = QLabel(self.tr("{file}, row {row}").format(file=item.source_file,
                                                                 row=item.source_row))
        for label in (self.question, self.category, self.source):
            label.setTextFormat(Qt.TextFormat.PlainText)  # imported text is never markup
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Question"), self.question)
        form.addRow(self.tr("Answer"), self.answer)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Source"), self.source)
        form.addRow(buttons)
