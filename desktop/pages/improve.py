"""Improve retrieval: one button runs the tuning loop (progress, stage, time left, Cancel);
then a before/after chart, the generated queries to review, and the adapter history with
Activate and Roll back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.desk import Desk
from core.review import AdapterRow, adapter_rows, angles, query_rows
from core.tune.loop import TuneOptions, TuneReport
from desktop.jobs import Job, JobContext, bind
from desktop.pages.models import confirm_re_embed
from desktop.pages.tuning_views import Eta, MetricsChart, QueryTableModel, format_eta
from desktop.stages import stage_label

if TYPE_CHECKING:
    from desktop.host import Host

class ImprovePage(QWidget):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.options = TuneOptions()  # the defaults; tests use a tiny configuration
        self.llm_angles = "auto"  # LLM angles only where the LLM knows the language
        self.job: Job | None = None
        self.report: TuneReport | None = None
        self.eta = Eta()
        self._adapter_rows: list[AdapterRow] = []

        self.run_button = QPushButton(self.tr("Improve retrieval"), enabled=False)
        bold = QFont(self.run_button.font())
        bold.setBold(True)
        self.run_button.setFont(bold)
        self.run_button.setToolTip(self.tr(
            "Write practice queries for every entry, train a small adapter on them, and use it "
            "only if it finds the held-out queries' entries better than the current model."))
        self.cancel_button = QPushButton(self.tr("Cancel"), enabled=False)
        self.progress = QProgressBar(visible=False)
        self.stage = QLabel()
        self.eta_label = QLabel()
        self.summary = QLabel(wordWrap=True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.chart = MetricsChart()

        self.queries = QueryTableModel(host.show_error, self)
        self.query_view = QTableView()
        self.query_view.setModel(self.queries)
        self.query_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.query_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.angle_filter = QComboBox()
        self.accept_button = QPushButton(self.tr("Accept"))
        self.reject_button = QPushButton(self.tr("Reject"))
        self.retrain_button = QPushButton(self.tr("Re-train with reviewed queries"),
                                          enabled=False)
        headers = [self.tr("ID"), self.tr("Date"), self.tr("Kind"), "Hit@1", "Hit@10", "MRR@10",
                   self.tr("Training queries"), self.tr("Active")]
        self.adapters = QTableWidget(0, len(headers))
        self.adapters.setHorizontalHeaderLabels(headers)
        self.adapters.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.adapters.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.adapters.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.adapters.verticalHeader().setVisible(False)
        self.activate_button = QPushButton(self.tr("Activate"), enabled=False)
        self.rollback_button = QPushButton(self.tr("Roll back to base"), enabled=False)

        self._lay_out()
        self.run_button.clicked.connect(self.run_tune)
        self.retrain_button.clicked.connect(self.run_tune)
        self.cancel_button.clicked.connect(self.cancel)
        self.angle_filter.currentIndexChanged.connect(lambda _i: self.load_queries())
        self.accept_button.clicked.connect(lambda: self._review_selected("accepted"))
        self.reject_button.clicked.connect(lambda: self._review_selected("rejected"))
        self.activate_button.clicked.connect(self._activate_selected)
        self.rollback_button.clicked.connect(lambda: self.activate(None))
        self.adapters.itemSelectionChanged.connect(self._sync_enabled)
        host.desk_changed.connect(self._desk_changed)
        host.jobs.busy_changed.connect(lambda _busy: self._sync_enabled())

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        status = QHBoxLayout()
        status.addWidget(self.progress, 1)
        status.addWidget(self.stage)
        status.addWidget(self.eta_label)
        review = QWidget()
        review_layout = QVBoxLayout(review)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Angle:")))
        for widget in (self.angle_filter, self.accept_button, self.reject_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.retrain_button)
        review_layout.addLayout(bar)
        review_layout.addWidget(self.query_view)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.addWidget(self.adapters)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.activate_button)
        buttons.addWidget(self.rollback_button)
        history_layout.addLayout(buttons)
        self.tabs = QTabWidget()
        self.tabs.addTab(review, self.tr("Generated queries"))
        self.tabs.addTab(history, self.tr("Adapter history"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(status)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart)
        layout.addWidget(self.tabs, 1)

    # -- state ------------------------------------------------------------------------------
    def running(self) -> bool:
        return self.job is not None

    def _sync_enabled(self) -> None:
        # Tuning trains the encoder every other page searches with: one Desk job at a time.
        idle = self.host.desk is not None and not self.host.jobs.busy()
        self.run_button.setEnabled(idle)
        self.retrain_button.setEnabled(idle and self.queries.rowCount() > 0)
        self.queries.read_only = not idle  # a running tune reads the reviewed queries
        self.accept_button.setEnabled(idle)
        self.reject_button.setEnabled(idle)
        self.cancel_button.setEnabled(self.running())
        self.activate_button.setEnabled(idle and bool(self.adapters.selectedItems()))
        self.rollback_button.setEnabled(idle and any(r.active for r in self._adapter_rows))

    def _desk_changed(self, desk: Desk | None) -> None:
        self.report = None
        self.summary.clear()
        self.load_queries()
        self.load_adapters()

    def load_queries(self) -> None:
        desk = self.host.desk
        if desk is None:
            self.queries.load(None, [])
            self._sync_enabled()
            return
        chosen = self.angle_filter.currentData()
        self.angle_filter.blockSignals(True)  # refilling it must not reload recursively
        self.angle_filter.clear()
        self.angle_filter.addItem(self.tr("All angles"), None)
        for angle in angles(desk.ws):
            self.angle_filter.addItem(angle, angle)
        found = self.angle_filter.findData(chosen)
        self.angle_filter.setCurrentIndex(max(found, 0))
        self.angle_filter.blockSignals(False)
        self.queries.load(desk.ws, query_rows(desk.ws, self.angle_filter.currentData()))
        self._sync_enabled()

    def load_adapters(self) -> None:
        desk = self.host.desk
        self._adapter_rows = adapter_rows(desk.ws) if desk else []
        self.adapters.setRowCount(len(self._adapter_rows))
        for row, a in enumerate(self._adapter_rows):
            date = QDateTime.fromString(a.created_at, Qt.DateFormat.ISODate).toLocalTime()
            cells = (str(a.id), date.toString("yyyy-MM-dd HH:mm"),
                     self.tr("query side") if a.kind == "query" else self.tr("both sides"),
                     _number(a.hit1), _number(a.hit10), _number(a.mrr10),
                     "" if a.train_queries is None else str(a.train_queries),
                     "✓" if a.active else "")
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, a.id)
                self.adapters.setItem(row, col, cell)
        if self.report is None and self._adapter_rows:
            latest = self._adapter_rows[0]  # reopened: show what the last run measured
            self.chart.set_metrics(latest.base, latest.heldout)
        self._sync_enabled()

    # -- tuning -----------------------------------------------------------------------------
    def run_tune(self) -> None:
        desk = self.host.desk
        if desk is None or self.host.jobs.busy():
            return
        options, llm_angles = self.options, self.llm_angles
        self.eta = Eta()
        self.summary.clear()
        self.stage.setText(self.tr("Starting…"))
        self.eta_label.clear()
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)

        def work(ctx: JobContext) -> TuneReport:
            with bind(desk, ctx) as d:
                return d.tune(options, llm_angles)

        self.job = self.host.jobs.start(work, self._tuned, self._failed, self._progress,
                                        self._cancelled)
        self._sync_enabled()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.stage.setText(self.tr("Cancelling…"))

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.job is not None and self.job.ctx.cancel.is_set():
            return  # keep saying "Cancelling…" until the job has stopped
        self.progress.setRange(0, max(total, 1) if total > 1 else 0)
        self.progress.setValue(done)
        label = stage_label(stage)
        self.stage.setText(f"{label} {done}/{total}" if total > 1 else label)
        self.eta_label.setText(format_eta(self.eta.update(stage, done, total)))

    def _ended(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.eta_label.clear()
        self.load_queries()
        self.load_adapters()

    def _tuned(self, report: TuneReport) -> None:
        self.report = report
        self.stage.setText(self.tr("Done."))
        self.chart.set_metrics(report.before, report.after)
        verdict = (self.tr("Adapter {id} is now in use: {reason}.") if report.activated
                   else self.tr("Adapter {id} was kept aside: {reason}."))
        lines = [verdict.format(id=report.adapter_id, reason=report.reason)]
        lines += [note for note in (report.queries.llm_skipped, report.queries.llm_note) if note]
        self.summary.setText("\n".join(lines))
        self._ended()
        self.host.show_status(lines[0])

    def _failed(self, message: str) -> None:
        self.stage.setText(self.tr("Stopped."))
        self._ended()
        self.host.show_error(message)

    def _cancelled(self, message: str) -> None:
        self.stage.setText(self.tr("Cancelled; the model in use is unchanged."))
        self._ended()
        self.host.show_status(message)

    # -- review -----------------------------------------------------------------------------
    def _review_selected(self, status: str) -> None:
        rows = sorted({i.row() for i in self.query_view.selectionModel().selectedRows()})
        self.queries.set_status(rows, status)

    # -- adapters ---------------------------------------------------------------------------
    def _activate_selected(self) -> None:
        items = self.adapters.selectedItems()
        if items:
            self.activate(int(items[0].data(Qt.ItemDataRole.UserRole)))

    def activate(self, adapter_id: int | None) -> None:
        """Switch adapters in a job: a symmetric adapter re-embeds every entry."""
        desk = self.host.desk
        if desk is None or self.host.jobs.busy():
            return
        # A symmetric adapter reads the entries too: switching to or from one re-embeds them.
        if any(a.kind != "query" and (a.id == adapter_id or a.active)
               for a in self._adapter_rows) and not confirm_re_embed(self.host, desk):
            return

        def work(ctx: JobContext) -> None:
            with bind(desk, ctx) as d:
                d.activate_adapter(adapter_id)

        def done(_result: object) -> None:
            self.host.hide_progress()
            self.load_adapters()
            self.host.show_status(self.tr("Using the base encoder.") if adapter_id is None
                                  else self.tr("Using adapter {id}.").format(id=adapter_id))

        def failed(message: str) -> None:
            self.host.hide_progress()
            self.load_adapters()
            self.host.show_error(message)

        self.host.jobs.start(work, done, failed, self.host.show_progress, failed)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
