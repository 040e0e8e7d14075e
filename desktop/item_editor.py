"""Adding or editing one entry by hand. The dialog stays open while the entry is saved (a
job: saving re-embeds it), so a refused save (say, a duplicate question) loses no typing."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from core.records import Item

ERROR_STYLE = "QLabel { color: #b3261e; }"


class ItemEditor(QDialog):
    """Emits `save_requested(item_id or 0, question, answer, category)`; the page saves and
    then calls saved() or failed(message)."""

    save_requested = Signal(int, str, str, str)

    def __init__(self, categories: list[str], item: Item | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle(self.tr("Edit entry {id}").format(id=item.id) if item
                            else self.tr("New entry"))
        self.resize(640, 460)
        self.question = QLineEdit(item.question if item else "")
        self.answer = QPlainTextEdit(item.answer if item else "")
        self.category = QComboBox(editable=True)
        self.category.addItems([c for c in categories if c])
        self.category.setCurrentText(item.category if item else "")
        self.category.lineEdit().setPlaceholderText(self.tr("(none)"))
        self.error = QLabel(wordWrap=True, visible=False)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Question"), self.question)
        form.addRow(self.tr("Answer"), self.answer)
        form.addRow(self.tr("Category"), self.category)
        if item is not None:
            source = QLabel(self.tr("{file}, row {row}").format(
                file=item.source_file, row=item.source_row) if item.source_file
                else self.tr("typed in by hand"))
            source.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(self.tr("Source"), source)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.question.textChanged.connect(self._sync)
        self.answer.textChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        filled = bool(self.question.text().strip() and self.answer.toPlainText().strip())
        self.save_button.setEnabled(filled)

    def _save(self) -> None:
        self.error.setVisible(False)
        self.save_button.setEnabled(False)
        self.save_button.setText(self.tr("Saving…"))
        self.save_requested.emit(self.item.id if self.item else 0, self.question.text(),
                                 self.answer.toPlainText(), self.category.currentText())

    def saved(self) -> None:
        self.accept()

    def failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(True)
        self.save_button.setText(self.tr("Save"))
        self._sync()
