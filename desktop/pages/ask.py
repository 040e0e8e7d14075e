"""Ask: a question in; out comes an answer (streamed while the local LLM writes it) whose
citations open the cited entry, the retrieved entries with score and channel, and calm
warnings about how well the models fit the workspace."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.answer import Answer
from core.desk import Desk
from core.records import Item
from desktop.item_dialog import ItemDialog
from desktop.jobs import Job, JobContext, bind

if TYPE_CHECKING:
    from desktop.host import Host

_CITE_RE = re.compile(r"\[(\d{1,2})\]")
BANNER_STYLE = ("QLabel { background: #eef4fb; color: #1d3b57; border: 1px solid #c8dcf0;"
                " border-radius: 4px; padding: 6px; }")


def answer_html(answer: Answer, sources_heading: str) -> str:
    """The answer as HTML whose [n] are links to the entries they cite (item:ID).

    A generated answer also lists its numbered sources: a small model does not always cite,
    and the reader should still reach what it was given. An extracted answer already ends
    with its one citation."""

    def link(match: re.Match[str]) -> str:
        hit = answer.source(int(match.group(1)))
        return f'<a href="item:{hit.item.id}">{match.group(0)}</a>' if hit else match.group(0)

    body = _CITE_RE.sub(link, html.escape(answer.text))
    if answer.mode == "generate" and answer.sources:
        listed = "<br>".join(
            f'<a href="item:{h.item.id}">[{n}]</a> {html.escape(h.item.question)}'
            for n, h in enumerate(answer.sources, start=1))
        body += f"<p><b>{html.escape(sources_heading)}</b><br>{listed}</p>"
    return f'<div style="white-space: pre-wrap">{body}</div>'


class AskPage(QWidget):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.result: Answer | None = None
        self.tokens_received = 0  # pieces streamed for the current answer
        self.job: Job | None = None  # the answer being generated, until it ends
        self.open_dialogs: list[ItemDialog] = []
        self.banner = QLabel(wordWrap=True, visible=False)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.query = QLineEdit(placeholderText=self.tr(
            "Ask a question, e.g. 新型專利技術報告有什麼用？"))
        self.extract_mode = QRadioButton(self.tr("Official answer"), checked=True)
        self.extract_mode.setToolTip(self.tr(
            "Quote the best matching official answer word for word (no language model)."))
        self.generate_mode = QRadioButton(self.tr("Generated"))
        self.generate_mode.setToolTip(self.tr(
            "Let the local language model write an answer from the top entries, citing them."))
        modes = QButtonGroup(self)
        modes.addButton(self.extract_mode)
        modes.addButton(self.generate_mode)
        self.generate_mode.toggled.connect(self._mode_changed)
        self.ask_button = QPushButton(self.tr("Ask"), enabled=False)
        self.stop_button = QPushButton(self.tr("Stop"), enabled=False)
        self.stop_button.setToolTip(self.tr(
            "Stop the model writing; the answer keeps what it has written so far."))
        self.stop_button.clicked.connect(self.stop)
        self.answer = QTextBrowser(openLinks=False, openExternalLinks=False)
        self.answer.anchorClicked.connect(self._link_clicked)
        self.copy_button = QPushButton(self.tr("Copy answer with sources"), enabled=False)
        self.copy_button.clicked.connect(self.copy_answer)
        headers = [self.tr("Cited"), self.tr("Question"), self.tr("Category"), self.tr("Score"),
                   self.tr("Found by")]
        self.sources = QTableWidget(0, len(headers))
        self.sources.setHorizontalHeaderLabels(headers)
        self.sources.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sources.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sources.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.sources.verticalHeader().setVisible(False)
        self.sources.cellDoubleClicked.connect(self._source_clicked)

        row = QHBoxLayout()
        for widget in (self.query, self.extract_mode, self.generate_mode, self.ask_button,
                       self.stop_button):
            row.addWidget(widget)
        answer_box = QWidget()
        answer_layout = QVBoxLayout(answer_box)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        answer_layout.addWidget(self.answer)
        answer_layout.addWidget(self.copy_button, alignment=Qt.AlignmentFlag.AlignRight)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(answer_box)
        splitter.addWidget(self.sources)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)

        self.query.returnPressed.connect(self.ask)
        self.ask_button.clicked.connect(self.ask)
        host.desk_changed.connect(self._desk_changed)
        host.jobs.busy_changed.connect(lambda _busy: self._sync_enabled())

    # -- state ------------------------------------------------------------------------------
    def _sync_enabled(self) -> None:
        # One job at a time touches the Desk (tuning trains the very encoder Ask would use).
        self.ask_button.setEnabled(self.host.desk is not None and not self.host.jobs.busy())
        self.stop_button.setEnabled(self.job is not None and self.job.running()
                                    and not self.job.ctx.cancel.is_set())

    def _desk_changed(self, desk: Desk | None) -> None:
        self.result = None
        self.answer.clear()
        self.sources.setRowCount(0)
        self.copy_button.setEnabled(False)
        self._sync_enabled()
        self.show_warnings()

    def show_warnings(self) -> None:
        desk = self.host.desk
        warnings = desk.warnings() if desk is not None else []
        self.banner.setText("\n".join(warnings))
        self.banner.setVisible(bool(warnings))

    def mode(self) -> str:
        return "generate" if self.generate_mode.isChecked() else "extract"

    def _mode_changed(self, generated: bool) -> None:
        """Picking generated answers loads the language model and has it read the answer
        instructions now, while the question is typed: the first answer starts sooner, and
        a model that cannot load says so before anything is asked."""
        desk = self.host.desk
        if not generated or desk is None or self.host.jobs.busy():
            return
        self.host.show_status(self.tr("Loading the language model…"))
        self.host.free_llm()

        def work(ctx: JobContext) -> str:
            with bind(desk, ctx) as d:
                d.prepare_answers()
                return d.llm.name

        def ready(name: str) -> None:
            self.host.show_status(self.tr("Language model ready: {model}").format(model=name))
            self.show_warnings()  # the loaded model may add its own warning

        self.host.jobs.start(work, ready, self._failed, self._progress, self._failed,
                             beside_background=True)

    # -- asking -----------------------------------------------------------------------------
    def ask(self) -> None:
        desk, question, mode = self.host.desk, self.query.text().strip(), self.mode()
        if desk is None or not question or self.host.jobs.busy():
            return
        self.result, self.tokens_received = None, 0
        self.answer.clear()
        self.sources.setRowCount(0)
        self.copy_button.setEnabled(False)
        self.host.show_status(self.tr("Writing the answer…") if mode == "generate"
                              else self.tr("Searching…"))
        if mode == "generate":
            self.host.free_llm()

        def work(ctx: JobContext) -> Answer:
            with bind(desk, ctx) as d:
                return d.ask(question, mode=mode, on_token=ctx.token)

        job = self.host.jobs.start(work, self._answered, self._failed, self._progress,
                                   self._failed, self._token, beside_background=True)
        self.job = job if mode == "generate" else None  # only a written answer can stop
        self._sync_enabled()

    def stop(self) -> None:
        """Stop the model at its next piece: the answer is what it wrote so far."""
        if self.job is not None:
            self.job.cancel()
            self.host.show_status(self.tr("Stopping…"))
        self._sync_enabled()

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.host.show_status(self.tr("{stage}…").format(stage=stage))

    def _token(self, piece: str) -> None:
        self.tokens_received += 1
        self.answer.moveCursor(QTextCursor.MoveOperation.End)
        self.answer.insertPlainText(piece)

    def _failed(self, message: str) -> None:
        self.job = None
        self._sync_enabled()
        self.host.hide_progress()
        self.host.show_error(message)

    def _answered(self, result: Answer) -> None:
        self.result, self.job = result, None
        self._sync_enabled()
        self.answer.setHtml(answer_html(result, self.tr("Sources")))
        # The column marks what the text cites, not every source the model was given.
        cited = {h.item.id: n for n, h in enumerate(result.sources, start=1)
                 if h.item.id in result.citations}
        channels = {"lexical": self.tr("lexical"), "dense": self.tr("dense"),
                    "both": self.tr("both")}
        self.sources.setRowCount(len(result.hits))
        for row, hit in enumerate(result.hits):
            number = cited.get(hit.item.id)
            cells = (f"[{number}]" if number else "", hit.item.question, hit.item.category,
                     f"{hit.score:.3f}", channels.get(hit.found_by(), ""))
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, hit.item.id)
                self.sources.setItem(row, col, cell)
        self.copy_button.setEnabled(True)
        status = self.tr("Answered by: {model}").format(model=result.model)
        if result.stopped:
            status = self.tr("Stopped: the answer is what was written before Stop") + \
                " · " + status
        if result.seconds is not None:
            status += " · " + self.tr("{seconds:.1f} s").format(seconds=result.seconds)
        if result.first_token_s is not None:
            status += " · " + self.tr("first words after {seconds:.1f} s").format(
                seconds=result.first_token_s)
        if result.removed_citations:
            status += " · " + self.tr("{n} citation(s) naming no source were removed").format(
                n=result.removed_citations)
        if result.corrected_citations:
            status += " · " + self.tr(
                "{n} citation(s) corrected to the source the text quotes").format(
                n=result.corrected_citations)
        if result.withheld_instructions:  # a poisoned entry: the model never read its orders
            status += " · " + self.tr(
                "{n} sentence(s) in the sources that gave the model orders were not passed "
                "to it").format(n=result.withheld_instructions)
        if result.searched_as:  # an English question on a Chinese workspace, say
            status += " · " + self.tr("searched as: {terms}").format(terms=result.searched_as)
        state = self.host.desk.semantic_state() if self.host.desk is not None else None
        if state is not None and not state.complete:  # the fill is still running
            status += " · " + self.tr("semantic search: {n}% ready").format(
                n=int(100 * state.share))
        self.host.show_status(status)
        self.show_warnings()  # generating loads the LLM, which may add its own warning

    # -- sources ----------------------------------------------------------------------------
    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "item" and url.path().isdigit():
            self.open_item(int(url.path()))

    def _source_clicked(self, row: int, _col: int) -> None:
        cell = self.sources.item(row, 0)
        if cell is not None:
            self.open_item(int(cell.data(Qt.ItemDataRole.UserRole)))

    def _item(self, item_id: int) -> Item | None:
        hits = self.result.hits + self.result.sources if self.result else []
        for hit in hits:
            if hit.item.id == item_id:
                return hit.item
        desk = self.host.desk
        found = desk.ws.get_items([item_id]) if desk is not None else []
        return found[0] if found else None

    def open_item(self, item_id: int) -> ItemDialog | None:
        """Show an entry read-only (non-modal, so several can be compared side by side)."""
        item = self._item(item_id)
        if item is None:
            self.host.show_error(self.tr("Entry {id} is no longer in this workspace.")
                                 .format(id=item_id))
            return None
        dialog = ItemDialog(item, self)
        dialog.finished.connect(lambda _r: self.open_dialogs.remove(dialog))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def copy_answer(self) -> None:
        if self.result is not None:
            QGuiApplication.clipboard().setText(self.result.with_sources())
            self.host.show_status(self.tr("Answer and sources copied."))
