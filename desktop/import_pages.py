"""The pages of the import wizard (desktop.import_wizard holds the files and the job)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from core.ingest.preview import FilePreview, encoding_choices
from core.records import ImportSource
from desktop.stages import stage_label

if TYPE_CHECKING:
    from core.records import ImportReport
    from desktop.host import Host


class ImportWizard(Protocol):
    """What the pages use of desktop.import_wizard.ImportWizard (which imports them)."""

    host: Host
    previews: dict[str, FilePreview]
    reports: list[ImportReport]
    errors: list[tuple[str, str]]
    finished_import: bool

    def add_files(self, files: list[str]) -> None: ...

    def remove_file(self, path: str) -> None: ...

    def choose(self, source: ImportSource) -> FilePreview: ...

    def importable(self) -> list[FilePreview]: ...

    def start_import(self) -> None: ...

FILE_FILTER = "*.csv *.tsv *.tab *.txt *.xlsx *.xlsm *.jsonl *.ndjson *.json"
ERROR_COLOR = QColor("#b3261e")
MAPPED_COLOR = QColor("#eef4fb")


def _label(text: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # file names and cells are data, not markup
    return label


class FilesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(self.tr("Choose files"))
        self.setSubTitle(self.tr("CSV, TSV, XLSX or JSONL files with a question and an answer "
                                 "column. You can also drop files onto the main window."))
        self.list = QListWidget(wordWrap=True)  # a file's problem is one long line
        self.add_button = QPushButton(self.tr("Add files…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.add_button.clicked.connect(self.ask_files)
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import spreadsheets"), str(Path.home()),
            self.tr("Spreadsheets ({patterns})").format(patterns=FILE_FILTER))
        self.w.add_files(files)

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.w.remove_file(str(item.data(Qt.ItemDataRole.UserRole)))

    def refresh(self) -> None:
        self.list.clear()
        for path, p in self.w.previews.items():
            if p.error:
                text = f"{p.name} — {p.error}"
            else:
                text = self.tr("{name} — {items} entries, {skipped} rows skipped").format(
                    name=p.name, items=p.items, skipped=len(p.skipped))
            item = QListWidgetItem(text)
            item.setToolTip(p.source.path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            if p.error:
                item.setForeground(ERROR_COLOR)
            self.list.addItem(item)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.w.previews)


class ColumnsPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(self.tr("Check how each file is read"))
        self.setSubTitle(self.tr("The first rows as read. Correct the encoding or the columns "
                                 "if they are wrong."))
        self.file = QComboBox()
        self.encoding = QComboBox()
        self.question = QComboBox()
        self.answer = QComboBox()
        self.category = QComboBox()
        self.summary = _label()
        self.model = QStandardItemModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(180)
        form = QFormLayout()
        form.addRow(self.tr("File"), self.file)
        form.addRow(self.tr("Encoding"), self.encoding)
        roles = QHBoxLayout()
        for text, combo in ((self.tr("Question"), self.question),
                            (self.tr("Answer"), self.answer),
                            (self.tr("Category"), self.category)):
            roles.addWidget(QLabel(text))
            roles.addWidget(combo, 1)
        form.addRow(self.tr("Columns"), roles)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.file.activated.connect(lambda _i: self.show_file())
        self.encoding.activated.connect(lambda _i: self._changed(encoding=True))
        for combo in (self.question, self.answer, self.category):
            combo.activated.connect(lambda _i: self._changed())

    def refresh_files(self) -> None:
        current = self.file.currentData()
        self.file.clear()
        for path, p in self.w.previews.items():
            self.file.addItem(p.name, path)
        # Start on the first file that needs attention, else keep the one shown.
        broken = [i for i, p in enumerate(self.w.previews.values()) if p.error]
        found = self.file.findData(current)
        self.file.setCurrentIndex(found if found >= 0 else (broken[0] if broken else 0))
        self.show_file()

    def initializePage(self) -> None:
        self.show_file()

    def current(self) -> FilePreview | None:
        return self.w.previews.get(self.file.currentData())

    def show_file(self) -> None:
        p = self.current()
        for combo in (self.encoding, self.question, self.answer, self.category):
            combo.clear()
        self.model.clear()
        if p is None:
            self.summary.clear()
            self.completeChanged.emit()
            return
        self.encoding.setEnabled(p.format != "xlsx")
        if p.format != "xlsx":
            for name in encoding_choices(p.encoding or p.source.encoding):
                self.encoding.addItem(name, name)
        m = p.mapping
        for combo, chosen in ((self.question, m.question if m else p.source.question_col),
                              (self.answer, m.answer if m else p.source.answer_col)):
            if not chosen or chosen not in p.headers:
                combo.addItem(self.tr("(choose a column)"), None)
            for header in p.headers:
                combo.addItem(header or self.tr("(blank)"), header)
            combo.setCurrentIndex(max(combo.findData(chosen), 0))
        self.category.addItem(self.tr("(none)"), "")
        for header in p.headers:
            self.category.addItem(header or self.tr("(blank)"), header)
        self.category.setCurrentIndex(max(self.category.findData(m.category if m else ""), 0))
        self._fill_table(p)
        self._summarise(p)
        self.completeChanged.emit()

    def _fill_table(self, p: FilePreview) -> None:
        m = p.mapping
        roles = {m.question: self.tr("Question"), m.answer: self.tr("Answer")} if m else {}
        if m and m.category:
            roles[m.category] = self.tr("Category")
        self.model.setHorizontalHeaderLabels(
            [f"{h} → {roles[h]}" if h in roles else h for h in p.headers])
        for number, cells in p.rows:
            row = []
            for col, header in enumerate(p.headers):
                cell = QStandardItem(" ".join((cells[col] if col < len(cells) else "").split()))
                if header in roles:
                    cell.setBackground(MAPPED_COLOR)
                row.append(cell)
            self.model.appendRow(row)
            self.model.setVerticalHeaderItem(self.model.rowCount() - 1,
                                             QStandardItem(str(number)))

    def _summarise(self, p: FilePreview) -> None:
        if p.error:
            self.summary.setText(p.error)
            self.summary.setStyleSheet("QLabel { color: #b3261e; }")
            return
        self.summary.setStyleSheet("")
        self.summary.setText(self.tr(
            "{items} entries will be imported; {skipped} rows will be skipped.").format(
            items=p.items, skipped=len(p.skipped)))

    def _changed(self, encoding: bool = False) -> None:
        p = self.current()
        if p is None:
            return
        enc = self.encoding.currentData() if self.encoding.isEnabled() else None
        if encoding:  # other headers may come out: recognise the columns afresh
            source = ImportSource(p.source.path, encoding=enc)
        else:
            source = ImportSource(p.source.path, self.question.currentData(),
                                  self.answer.currentData(), self.category.currentData(), enc)
        self.w.choose(source)
        self.show_file()

    def isComplete(self) -> bool:
        return bool(self.w.importable())


class CheckPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(self.tr("Review before importing"))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("Import"))
        self.summary = _label()
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    def initializePage(self) -> None:
        host = self.w.host
        self.setSubTitle(self.tr("Nothing has been changed yet. Import adds these entries to "
                                 "workspace '{name}'.").format(name=host.workspace))
        ok = self.w.importable()
        self.summary.setText(self.tr(
            "{files} files: {items} entries to import, {skipped} rows skipped.").format(
            files=len(ok), items=sum(p.items for p in ok),
            skipped=sum(len(p.skipped) for p in ok)))
        self.tree.clear()
        for p in self.w.previews.values():
            if p.error:
                top = QTreeWidgetItem([self.tr("{name}: will not be imported. {error}").format(
                    name=p.name, error=p.error)])
                top.setForeground(0, ERROR_COLOR)
            else:
                m = p.mapping
                columns = " / ".join(c for c in (m.question, m.answer, m.category) if c) \
                    if m else ""
                top = QTreeWidgetItem([self.tr(
                    "{name}: {items} entries, {skipped} rows skipped ({encoding}; columns "
                    "{columns})").format(name=p.name, items=p.items, skipped=len(p.skipped),
                                         encoding=p.encoding or p.format, columns=columns)])
                for s in p.skipped:
                    top.addChild(QTreeWidgetItem([self.tr("Row {row}: {reason}").format(
                        row=s.row, reason=s.reason)]))
            self.tree.addTopLevelItem(top)
            top.setExpanded(len(p.skipped) <= 20)


class RunPage(QWizardPage):
    COLUMNS = ("File", "Added", "Updated", "Unchanged", "Skipped")

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(self.tr("Importing"))
        self.setSubTitle(self.tr("Each file's entries can be searched as soon as it is stored; "
                                 "semantic search follows in the background. Cancel keeps the "
                                 "files already imported."))
        self.stage = _label(self.tr("Starting…"))
        self.bar = QProgressBar()
        self.table = QTableWidget(0, len(self.COLUMNS), visible=False)
        self.table.setHorizontalHeaderLabels([
            self.tr("File"), self.tr("Added"), self.tr("Updated"), self.tr("Unchanged"),
            self.tr("Skipped")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.errors = _label()
        self.errors.setStyleSheet("QLabel { color: #b3261e; }")
        layout = QVBoxLayout(self)
        for widget in (self.stage, self.bar, self.table, self.errors):
            layout.addWidget(widget)
        layout.addStretch()

    def initializePage(self) -> None:
        self.w.start_import()

    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.bar.setMaximum(total if total > 1 else 0)  # 0: a busy bar for one-step stages
        self.bar.setValue(done)
        label = stage_label(stage)
        self.stage.setText(f"{label}… {done}/{total}" if total > 1 else f"{label}…")

    def show_summary(self) -> None:
        reports = self.w.reports
        self.bar.setMaximum(1)
        self.bar.setValue(1)
        self.table.setRowCount(len(reports))
        for row, r in enumerate(reports):
            cells = (Path(r.file).name, r.added, r.updated, r.unchanged, len(r.skipped))
            for col, value in enumerate(cells):
                cell = QTableWidgetItem(str(value))
                if col:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, cell)
        self.table.setVisible(bool(reports))
        total = reports[-1].total_items if reports else None
        self.stage.setText(self.tr(
            "Done: {added} added, {updated} updated, {unchanged} unchanged, {skipped} "
            "skipped.").format(added=sum(r.added for r in reports),
                               updated=sum(r.updated for r in reports),
                               unchanged=sum(r.unchanged for r in reports),
                               skipped=sum(len(r.skipped) for r in reports))
            + ("" if total is None else " " + self.tr(
                "The workspace now has {n} entries.").format(n=total)))
        self.errors.setText("\n".join(f"{name}: {msg}" if name else msg
                                      for name, msg in self.w.errors))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.w.finished_import
