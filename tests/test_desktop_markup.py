"""Stored text with markup in it, walked through the real window: every label that shows it
is plain text, and no tooltip or text view holds an '<img' or '<a href=' that Qt would render
(an image fetched, a link followed). The fill label's reason quotes an encoder's path."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QTextEdit, QWidget

from core.records import NewItem
from core.store import ItemChange, open_workspace
from core.text import clean
from tests.desktop_helpers import open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

MARKUP = "<img src=x><a href=y>專利</a>"
# The item's tags as Qt would take them (raw, or as rendered HTML says them); escaped, they
# read '&lt;img', and the window's own links say href="item:…".
RENDERED = re.compile(r'<img|<a href="?y\b')


def _rendered(text: str) -> bool:
    return bool(RENDERED.search(text))


def _problems(widgets: list[QWidget]) -> list[str]:
    """Where markup from an item would be rendered, not shown as characters."""
    found = []
    for widget in widgets:
        where = f"{type(widget).__name__} {widget.objectName()!r}"
        if _rendered(widget.toolTip()):
            found.append(f"tooltip of {where}: {widget.toolTip()!r}")
        if (isinstance(widget, QLabel) and _rendered(widget.text())
                and widget.textFormat() != Qt.TextFormat.PlainText):
            found.append(f"{where}: {widget.text()!r}")
        if isinstance(widget, QTextEdit) and _rendered(widget.toHtml()):
            found.append(f"rich text of {where}")
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(min(model.rowCount(), 20)):
                for col in range(model.columnCount()):
                    tip = model.data(model.index(row, col), Qt.ItemDataRole.ToolTipRole)
                    if isinstance(tip, str) and _rendered(tip):
                        found.append(f"cell tooltip ({row}, {col}) of {where}: {tip!r}")
    return found


def _walk(window) -> list[str]:  # noqa: ANN001
    widgets = [window, *window.findChildren(QWidget)]
    for top in QApplication.topLevelWidgets():  # item dialogs, message boxes
        if top.isVisible() and top is not window:
            widgets += [top, *top.findChildren(QWidget)]
    return _problems(widgets)


def test_item_markup_is_shown_as_characters_on_every_page(qtbot, data_home):
    with open_workspace("markup") as ws, ws.transaction():
        ws.apply_changes([ItemChange(NewItem(f"專利年費 {MARKUP}", f"可以預繳 {MARKUP}",
                                             f"年費 {MARKUP}"), clean(f"專利年費 {MARKUP}"),
                                     None)])
    window = open_window(qtbot, "markup")
    seen = []
    for page in (window.library_page, window.ask_page, window.improve_page):
        window.tabs.setCurrentWidget(page)
        seen += _walk(window)
    ask = window.ask_page
    ask.extract_mode.click()
    ask.query.setText("專利年費")
    qtbot.mouseClick(ask.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert ask.result is not None and ask.result.hits, window.status.text()
    assert "<img src=x>" in ask.answer.toPlainText()  # shown as the characters it is
    dialog = ask.open_item(ask.result.hits[0].item.id)
    assert dialog is not None and dialog.question.text().endswith(MARKUP)
    seen += _walk(window)
    dialog.close()

    window.show_status(f"searched as: {MARKUP}")
    # The fill's reason may quote a stored encoder path, markup and all.
    window.fill._failed(f"cannot read the encoder at /models/{MARKUP}")  # noqa: SLF001
    assert window.fill.label.isVisibleTo(window)
    seen += _walk(window)
    assert not seen, "\n".join(seen)
    window.close()
