"""The Library page (offscreen Qt) over a real workspace with the real bundled encoder:
the table, the instant filter, the category filter, adding, editing and deleting entries."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMessageBox

from core.records import NewItem
from core.store import ItemChange, open_workspace
from core.text import clean
from desktop.pages.library import ItemTableModel, LibraryPage
from tests.qt_helpers import answer_next_dialog, click, open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _rows(page: LibraryPage, column: int = 1) -> list[str]:
    model = page.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def _select(page: LibraryPage, *rows: int) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(page.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def test_table_lists_every_entry_and_filters_as_you_type(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    page = window.library_page
    window.tabs.setCurrentWidget(page)
    assert page.count.text() == "725 entries" and page.model.rowCount() == 725
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert headers == ["ID", "Question", "Answer", "Category", "Source"]
    first = [page.model.data(page.model.index(0, c)) for c in range(5)]
    assert first[1] == "專利師法修正案，何時施行？"
    assert first[4] == "patent_attorney_act_qa.csv, row 2"

    for char in "新型專利技術報告":  # typed one character at a time, as an input method does
        page.filter.insert(char)  # (QTest can only type ASCII keys)
    qtbot.waitUntil(lambda: page.model.rowCount() < 725)
    shown = page.model.rowCount()
    assert page.count.text() == f"{shown} of 725 entries"
    texts = ["|".join(page.model.data(page.model.index(r, c)) for c in (1, 2, 3))
             for r in range(shown)]
    assert all("新型專利技術報告" in t for t in texts)

    page.filter.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 725)
    categories = [page.category.itemText(i) for i in range(page.category.count())]
    assert categories[0] == "All categories" and "(no category) (10)" in categories
    page.category.setCurrentIndex(categories.index("(no category) (10)"))
    page.category.activated.emit(page.category.currentIndex())
    assert page.count.text() == "10 of 725 entries"
    assert all(page.model.data(page.model.index(r, 3)) == "" for r in range(10))
    window.close()


def test_an_entry_is_added_edited_and_found_by_search(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    page = window.library_page
    editor = page.add_entry()
    assert editor is not None and editor.windowTitle() == "New entry"
    assert not editor.save_button.isEnabled()  # nothing typed yet
    editor.question.insert("快遞寄送申請書可以嗎？")
    editor.answer.setPlainText("可以，以郵戳日為準。")
    editor.category.setCurrentText("送件方式")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=120_000)
    wait_idle(qtbot, window)
    assert page.count.text() == "726 entries"
    (selected,) = page.selected_items()
    assert selected.question == "快遞寄送申請書可以嗎？" and selected.category == "送件方式"
    assert window.status.text() == f"Entry {selected.id} saved."
    assert "送件方式 (1)" in [page.category.itemText(i) for i in range(page.category.count())]
    assert window.desk.search("快遞寄送申請書", k=1)[0].item.id == selected.id

    editor = page.edit_selected()
    assert editor.windowTitle() == f"Edit entry {selected.id}"
    assert editor.question.text() == selected.question
    editor.answer.setPlainText("可以，以交寄當日郵戳為準。")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=120_000)
    wait_idle(qtbot, window)
    row = page.model.row_of(selected.id)
    assert page.model.data(page.model.index(row, 2)) == "可以，以交寄當日郵戳為準。"
    assert page.count.text() == "726 entries"
    window.close()


def test_a_refused_save_keeps_the_editor_open_with_the_reason(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    page = window.library_page
    taken = page.model.item(0).question
    _select(page, 1)
    editor = page.edit_selected()
    editor.question.setText(taken)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.error.isVisible(), timeout=120_000)
    assert editor.isVisible() and editor.question.text() == taken  # nothing typed is lost
    assert editor.error.text() == (f"item #{page.model.item(0).id} already has this question; "
                                   "edit that item instead")
    assert editor.save_button.isEnabled()
    editor.reject()
    assert page.model.data(page.model.index(1, 1)) != taken
    window.close()


def test_entries_are_deleted_only_after_a_yes(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    page = window.library_page
    _select(page, 0, 1)
    doomed = [it.question for it in page.selected_items()]
    assert page.delete_button.isEnabled() and not page.edit_button.isEnabled()

    asked = answer_next_dialog(click(QMessageBox.StandardButton.No))
    assert page.delete_selected() is False
    assert asked == ["Delete these 2 entries?"] and page.count.text() == "725 entries"

    answer_next_dialog(click(QMessageBox.StandardButton.Yes))
    assert page.delete_selected() is True
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: page.count.text() == "723 entries")
    assert window.status.text() == "2 entries deleted."
    assert not set(doomed) & set(_rows(page))
    window.close()


def test_a_hundred_thousand_entries_load_a_page_at_a_time(qtbot, data_home):
    n = 100_000
    with open_workspace("big") as ws, ws.transaction():
        ws.apply_changes([ItemChange(NewItem(f"第{i}號問題 question {i}", f"答案 {i}"),
                                     clean(f"第{i}號問題 question {i}"), None)
                          for i in range(n)])
    model = ItemTableModel()
    model.load(open_workspace("big"))
    assert model.rowCount() == n and not model.pages  # nothing fetched before it is shown
    last = model.data(model.index(n - 1, 1))
    assert last == f"第{n - 1}號問題 question {n - 1}"
    assert list(model.pages) == [(n - 1) // model.PAGE]  # one page read, not 100k rows
    for row in range(0, n, n // 40):  # scrolling through keeps a bounded cache
        model.data(model.index(row, 1))
    assert len(model.pages) <= model.CACHED_PAGES
    model.load(model.ws, None, "99999號")
    assert model.rowCount() == 1 and model.data(model.index(0, 2)) == "答案 99999"
    model.ws.close()


MARKUP = '<img src="https://example.com/x.png"><a href="https://example.com">click</a><b>bold</b>'


def test_stored_markup_is_shown_as_text_in_tooltips_and_message_boxes(qtbot, data_home):
    with open_workspace("markup") as ws, ws.transaction():
        ws.apply_changes([ItemChange(NewItem(f"問題 {MARKUP}", f"答案 {MARKUP}", MARKUP),
                                     clean(f"問題 {MARKUP}"), None)])
    model = ItemTableModel()
    model.load(open_workspace("markup"))
    for column in range(5):
        tip = model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
        assert "<img" not in tip and "<a " not in tip and "<b>" not in tip
    answer_tip = model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=&quot;https://example.com/x.png&quot;&gt;" in answer_tip
    model.ws.close()

    window = open_window(qtbot, "markup")
    box = window.message_box(QMessageBox.Icon.Warning, "Patent Desk", f"entry: {MARKUP}")
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == f"entry: {MARKUP}"
