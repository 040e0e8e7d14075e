"""Library: every entry of the workspace in a table, an instant filter, a category filter,
and adding, editing and deleting entries by hand.

The table model holds only the ids of the rows shown (one query, fast even for 100k items)
and fetches the items themselves a page at a time as rows scroll into view; no widget is
created per row. Saving and deleting run as jobs: saving re-embeds the entry.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core import library
from core.desk import Desk
from core.records import Item
from core.store import WorkspaceStore
from desktop import plain_text
from desktop.item_editor import ItemEditor
from desktop.jobs import JobContext, bind
from desktop.settings import icon

if TYPE_CHECKING:
    from desktop.host import Host

FILTER_DELAY_MS = 150  # typing pauses shorter than this do not re-query
ALL = "\x00all"  # the category combo's "all categories" entry (no real category is this)
Index = QModelIndex | QPersistentModelIndex


class ItemTableModel(QAbstractTableModel):
    PAGE = 256
    CACHED_PAGES = 16

    def __init__(self) -> None:
        super().__init__()
        self.ws: WorkspaceStore | None = None
        self.ids: list[int] = []
        self.pages: OrderedDict[int, dict[int, Item]] = OrderedDict()
        self.headers = [self.tr("ID"), self.tr("Question"), self.tr("Answer"),
                        self.tr("Category"), self.tr("Source")]

    def load(self, ws: WorkspaceStore | None, category: str | None = None, text: str = "") -> None:
        self.beginResetModel()
        self.ws = ws
        self.ids = library.item_ids(ws, category, text) if ws is not None else []
        self.pages.clear()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def item(self, row: int) -> Item | None:
        if self.ws is None or not 0 <= row < len(self.ids):
            return None
        number = row // self.PAGE
        page = self.pages.get(number)
        if page is None:
            ids = self.ids[number * self.PAGE:(number + 1) * self.PAGE]
            page = {it.id: it for it in library.get_items(self.ws, ids)}
            self.pages[number] = page
            if len(self.pages) > self.CACHED_PAGES:
                self.pages.popitem(last=False)
        else:
            self.pages.move_to_end(number)
        return page.get(self.ids[row])

    def row_of(self, item_id: int) -> int:
        try:
            return self.ids.index(item_id)
        except ValueError:
            return -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        item = self.item(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            # Qt renders a tooltip that looks like markup as rich text: escape it, so an
            # imported '<img src=…>' shows as the characters it is.
            text = item.answer[:1000] if index.column() == 2 else self._display(item, index)
            return plain_text.tooltip(text)
        return self._display(item, index)

    def _display(self, item: Item, index: Index) -> str:
        col = index.column()
        if col == 0:
            return str(item.id)
        if col == 1:
            return item.question
        if col == 2:
            return " ".join(item.answer.split())[:300]  # one line in the table
        if col == 3:
            return item.category
        if not item.source_file:
            return self.tr("typed in by hand")
        return self.tr("{file}, row {row}").format(file=item.source_file, row=item.source_row)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None


class LibraryPage(QWidget):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.editor: ItemEditor | None = None
        self.filter = QLineEdit(placeholderText=self.tr("Filter entries (Ctrl+F)…"),
                                clearButtonEnabled=True)
        self.category = QComboBox(minimumContentsLength=18)
        self.count = QLabel()
        self.add_button = QPushButton(icon("add"), self.tr("Add…"))
        self.edit_button = QPushButton(icon("edit"), self.tr("Edit…"))
        self.delete_button = QPushButton(icon("delete"), self.tr("Delete"))
        self.model = ItemTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights and interactive column widths: measuring 100k rows would stall.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((56, 300, 380, 130)):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)

        bar = QHBoxLayout()
        bar.addWidget(self.filter, 3)
        bar.addWidget(self.category, 1)
        bar.addWidget(self.count)
        bar.addStretch()
        for button in (self.add_button, self.edit_button, self.delete_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self._timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        self.filter.textChanged.connect(lambda _t: self._timer.start())
        self.filter.returnPressed.connect(self.reload)
        self.category.activated.connect(lambda _i: self.reload())
        self.add_button.clicked.connect(self.add_entry)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._sync())
        host.desk_changed.connect(self._desk_changed)
        host.items_changed.connect(self.refresh)
        host.jobs.busy_changed.connect(lambda _b: self._sync())
        self._sync()

    # -- listing ----------------------------------------------------------------------------
    def _desk_changed(self, desk: Desk | None) -> None:
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Re-read categories and rows (after an import or an edit), keeping the filters."""
        desk, chosen = self.host.desk, self.category_filter()
        self.category.clear()
        self.category.addItem(self.tr("All categories"), ALL)
        for name, n in library.categories(desk.ws) if desk is not None else []:
            label = name or self.tr("(no category)")
            self.category.addItem(f"{label} ({n})", name)
        found = self.category.findData(ALL if chosen is None else chosen)
        self.category.setCurrentIndex(max(found, 0))
        self.reload()

    def category_filter(self) -> str | None:
        data = self.category.currentData()
        return None if data in (None, ALL) else str(data)

    def reload(self) -> None:
        self._timer.stop()
        desk = self.host.desk
        self.model.load(desk.ws if desk is not None else None, self.category_filter(),
                        self.filter.text())
        total = desk.ws.count_items() if desk is not None else 0
        shown = self.model.rowCount()
        self.count.setText(self.tr("{n} entries").format(n=total) if shown == total
                           else self.tr("{shown} of {n} entries").format(shown=shown, n=total))
        self._sync()

    def selected_items(self) -> list[Item]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [it for it in (self.model.item(r) for r in rows) if it is not None]

    def select_item(self, item_id: int) -> None:
        row = self.model.row_of(item_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _sync(self) -> None:
        ready = self.host.desk is not None and not self.host.jobs.busy()
        selected = len(self.table.selectionModel().selectedRows())
        self.add_button.setEnabled(ready)
        self.edit_button.setEnabled(ready and selected == 1)
        self.delete_button.setEnabled(ready and selected > 0)

    # -- editing ----------------------------------------------------------------------------
    def _open_editor(self, item: Item | None) -> ItemEditor | None:
        desk = self.host.desk
        if desk is None or self.host.jobs.busy():
            return None
        names = [name for name, _n in library.categories(desk.ws)]
        self.editor = ItemEditor(names, item, self)
        self.editor.save_requested.connect(self._save)
        self.editor.open()
        return self.editor

    def add_entry(self) -> ItemEditor | None:
        return self._open_editor(None)

    def edit_selected(self) -> ItemEditor | None:
        items = self.selected_items()
        return self._open_editor(items[0]) if len(items) == 1 else None

    def _save(self, item_id: int, question: str, answer: str, category: str) -> None:
        desk, editor = self.host.desk, self.editor
        if desk is None or editor is None:
            return
        self.host.show_status(self.tr("Saving the entry…"))

        def work(ctx: JobContext) -> Item:
            with bind(desk, ctx) as d:
                if item_id:
                    return d.update_item(item_id, question, answer, category)
                return d.add_item(question, answer, category)

        def done(item: Item) -> None:
            editor.saved()
            self.host.hide_progress()
            self.host.items_changed.emit()
            self.select_item(item.id)
            self.host.show_status(self.tr("Entry {id} saved.").format(id=item.id))

        def failed(message: str) -> None:
            self.host.hide_progress()
            self.host.show_status(message)
            editor.failed(message)

        self.host.jobs.start(work, done, failed, self.host.show_progress, failed)

    def delete_selected(self) -> bool:
        items, desk = self.selected_items(), self.host.desk
        if not items or desk is None or self.host.jobs.busy():
            return False
        text = (self.tr("Delete entry {id}, “{question}”?").format(
                    id=items[0].id, question=items[0].question[:80]) if len(items) == 1
                else self.tr("Delete these {n} entries?").format(n=len(items)))
        if not self.host.confirm(self.tr("Delete entries"), text):
            return False
        ids = [it.id for it in items]

        def done(n: int) -> None:
            self.host.items_changed.emit()
            self.host.show_status(self.tr("{n} entries deleted.").format(n=n))

        self.host.jobs.start(lambda _ctx: desk.delete_items(ids), done, self.host.show_error)
        return True
