"""Parts of the Improve retrieval page: the before/after chart, the reviewable query table
and the time-left estimate."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import QHBoxLayout, QWidget

from core.errors import PatentDeskError
from core.review import ReviewRow, review_query
from core.store import WorkspaceStore

RETRIEVERS = ("lexical", "dense", "hybrid")
METRICS = (("hit@1", "Hit@1"), ("hit@10", "Hit@10"), ("mrr@10", "MRR@10"))
Index = QModelIndex | QPersistentModelIndex


class MetricsChart(QWidget):
    """One grouped bar chart per retriever: Hit@1, Hit@10 and MRR@10 before and after."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sets: dict[str, tuple[QBarSet, QBarSet]] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for name in RETRIEVERS:
            before, after = QBarSet(self.tr("before")), QBarSet(self.tr("after"))
            series = QBarSeries()
            series.append(before)
            series.append(after)
            chart = QChart()
            chart.setTitle(name)
            chart.addSeries(series)
            x_axis = QBarCategoryAxis()
            x_axis.append([label for _, label in METRICS])
            y_axis = QValueAxis()
            y_axis.setRange(0.0, 1.0)
            y_axis.setLabelFormat("%.1f")
            chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
            chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
            view = QChartView(chart)
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(220)
            layout.addWidget(view)
            self.sets[name] = (before, after)

    def set_metrics(self, before: dict[str, dict[str, float]],
                    after: dict[str, dict[str, float]]) -> None:
        for name, (before_set, after_set) in self.sets.items():
            for bar_set, source in ((before_set, before), (after_set, after)):
                values = source.get(name, {})
                bar_set.remove(0, bar_set.count())
                bar_set.append([float(values.get(key, 0.0)) for key, _ in METRICS])

    def values(self) -> dict[str, dict[str, list[float]]]:
        """What the bars show, per retriever (for tests and the accessible description)."""
        return {name: {"before": [b.at(i) for i in range(b.count())],
                       "after": [a.at(i) for i in range(a.count())]}
                for name, (b, a) in self.sets.items()}


class QueryTableModel(QAbstractTableModel):
    """The synthetic queries; the query text is editable, review goes straight to core."""

    def __init__(self, on_error: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = (self.tr("Query"), self.tr("Angle"), self.tr("Status"), self.tr("Split"),
                        self.tr("Should find"))
        self.statuses = {"generated": self.tr("generated"), "accepted": self.tr("accepted"),
                         "edited": self.tr("edited"), "rejected": self.tr("rejected")}
        self.rows: list[ReviewRow] = []
        self.ws: WorkspaceStore | None = None
        self.on_error = on_error
        # While a job runs (tuning reads these queries), review edits wait: the page sets this.
        self.read_only = False

    def load(self, ws: WorkspaceStore | None, rows: list[ReviewRow]) -> None:
        self.beginResetModel()
        self.ws, self.rows = ws, rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        editable = index.column() == 0 and not self.read_only
        return flags | Qt.ItemFlag.ItemIsEditable if editable else flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        q = row.query
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return (q.text, q.angle, self.statuses.get(q.status, q.status), q.split,
                    row.item_question)[index.column()]
        rejected = q.status == "rejected"
        if role == Qt.ItemDataRole.ForegroundRole and rejected:
            return QBrush(QColor("#888888"))
        if role == Qt.ItemDataRole.FontRole and rejected and index.column() == 0:
            font = QFont()
            font.setStrikeOut(True)  # still listed, so a rejection can be taken back
            return font
        return None

    def setData(self, index: Index, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.EditRole:
            return False
        return self._review(index.row(), "edited", str(value))

    def set_status(self, rows: list[int], status: str) -> None:
        for row in rows:
            if not self._review(row, status, None):
                break

    def _review(self, row: int, status: str, text: str | None) -> bool:
        if self.ws is None or self.read_only:
            return False
        try:
            self.rows[row] = ReviewRow(review_query(self.ws, self.rows[row].query, status, text),
                                       self.rows[row].item_question)
        except PatentDeskError as exc:
            self.on_error(str(exc))
            return False
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))
        return True


class Eta:
    """Time left in the current stage, from the rate measured since the stage began."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.stage: str | None = None
        self.start = (0.0, 0)

    def update(self, stage: str, done: int, total: int) -> float | None:
        now = self.clock()
        if stage != self.stage or done < self.start[1]:
            self.stage, self.start = stage, (now, done)
            return None
        elapsed, progressed = now - self.start[0], done - self.start[1]
        if progressed <= 0 or elapsed <= 0 or total <= 1:
            return None
        return (total - done) * elapsed / progressed


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return QCoreApplication.translate("Eta", "about {n} s left").format(
            n=max(1, round(seconds)))
    return QCoreApplication.translate("Eta", "about {n} min left").format(n=round(seconds / 60))
