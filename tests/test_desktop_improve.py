"""The Improve retrieval page on a 40-entry TIPO workspace with the real encoder: a tuning
run fills the chart, the review table and the adapter history; a rejected query is left out
of the re-training; Activate / Roll back; Cancel mid-training keeps the model in use."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.desk import Desk
from core.review import adapter_rows
from core.store.tuning import AdapterStore, QueryStore
from core.tune.loop import TuneOptions
from core.tune.trainer import TrainConfig
from desktop.main_window import MainWindow
from desktop.pages.tuning_views import METRICS
from tests.desktop_helpers import open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

TINY = TuneOptions(per_angle=1, train=TrainConfig(epochs=1))


def run_and_watch(qtbot, window: MainWindow, button) -> list[str]:
    """Click a button that starts tuning; return the stages it reported, once it ended."""
    page = window.improve_page
    stages: list[str] = []
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.job is not None and page.cancel_button.isEnabled()
    assert page.progress.isVisible() and page.stage.text()
    assert not page.run_button.isEnabled()  # one tuning run at a time
    # The run reads the reviewed queries: reviewing waits until it ends.
    assert not page.accept_button.isEnabled() and not page.reject_button.isEnabled()
    if page.queries.rowCount():
        cell = page.queries.index(0, 0)
        assert not page.queries.flags(cell) & Qt.ItemFlag.ItemIsEditable
        assert not page.queries.setData(cell, "edited while tuning")
    page.job.signals.progress.connect(lambda stage, done, total: stages.append(stage))
    wait_idle(qtbot, window)
    return stages


def test_improve_retrieval_shows_results_and_retrains_without_rejected(qtbot,
                                                                        small_tipo_workspace):
    window = open_window(qtbot, small_tipo_workspace)
    page = window.improve_page
    window.tabs.setCurrentWidget(page)
    page.options, page.llm_angles = TINY, "off"
    assert page.queries.rowCount() == 0 and not page.retrain_button.isEnabled()
    assert page.chart.values()["hybrid"] == {"before": [], "after": []}

    stages = run_and_watch(qtbot, window, page.run_button)
    report = page.report
    assert report is not None, window.status.text()
    assert "training" in stages and page.stage.text() == "Done."
    assert not page.progress.isVisible() and not page.cancel_button.isEnabled()
    assert f"Adapter {report.adapter_id}" in page.summary.text()
    for name in ("lexical", "dense", "hybrid"):
        bars = page.chart.values()[name]
        assert bars["before"] == [report.before[name][k] for k, _ in METRICS]
        assert bars["after"] == [report.after[name][k] for k, _ in METRICS]
    assert page.queries.rowCount() == sum(report.queries.stored.values()) > 40
    assert page.adapters.rowCount() == 1
    assert page.adapters.item(0, 0).text() == str(report.adapter_id)

    # Filter by angle, then reject one training query and edit another.
    page.angle_filter.setCurrentIndex(page.angle_filter.findData("typo"))
    rows = page.queries.rows
    assert rows and {r.query.angle for r in rows} == {"typo"}
    train_rows = [n for n, r in enumerate(rows) if r.query.split == "train"]
    rejected, edited = rows[train_rows[0]].query, rows[train_rows[1]].query
    page.query_view.selectRow(train_rows[0])
    qtbot.mouseClick(page.reject_button, Qt.MouseButton.LeftButton)
    assert page.queries.data(page.queries.index(train_rows[0], 2)) == "rejected"
    assert page.queries.setData(page.queries.index(train_rows[1], 0), "新型專利 技術報告 效力")
    assert page.queries.rows[train_rows[1]].query.status == "edited"

    ws = window.desk.ws
    trained_first = adapter_rows(ws)[0].train_queries
    stages = run_and_watch(qtbot, window, page.retrain_button)
    assert page.report is not None and page.report.adapter_id != report.adapter_id
    newest, oldest = adapter_rows(ws)
    assert newest.train_queries == trained_first - 1  # the rejected one was left out
    assert page.adapters.rowCount() == 2
    texts = {r.query.id: (r.query.text, r.query.status) for r in page.queries.rows}
    assert texts[rejected.id] == (rejected.text, "rejected")  # still listed, still rejected
    assert texts[edited.id] == ("新型專利 技術報告 效力", "edited")
    assert "新型專利 技術報告 效力" in {q.text for q in QueryStore(ws).list(split="train")}

    # Activate the first adapter, then roll back to the base encoder.
    page.adapters.selectRow(1)
    qtbot.mouseClick(page.activate_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert AdapterStore(ws).active().id == oldest.id
    assert page.adapters.item(1, 7).text() == "✓" and page.rollback_button.isEnabled()
    qtbot.mouseClick(page.rollback_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert AdapterStore(ws).active() is None and window.desk.encoder.adapter is None
    assert not page.rollback_button.isEnabled()
    window.close()


def test_cancelling_mid_training_keeps_the_active_adapter(qtbot, encoder,
                                                          small_tipo_workspace: str):
    with Desk(small_tipo_workspace, encoder=encoder) as desk:
        try:
            previous = desk.tune(TINY, "off").adapter_id
            desk.activate_adapter(previous)
        finally:
            encoder.detach_adapter()  # the session encoder is shared with other tests
    window = open_window(qtbot, small_tipo_workspace)
    page = window.improve_page
    window.tabs.setCurrentWidget(page)
    # Many small steps, so Cancel lands while training is still under way.
    page.options = TuneOptions(per_angle=1, train=TrainConfig(epochs=3, batch_size=4))
    page.llm_angles = "off"
    assert page.adapters.rowCount() == 1 and page.adapters.item(0, 7).text() == "✓"

    pressed: list[int] = []

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage == "training" and not pressed:
            pressed.append(done)
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)

    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    page.job.signals.progress.connect(on_progress)
    wait_idle(qtbot, window)
    assert pressed and page.report is None
    assert page.stage.text().startswith("Cancelled")
    ws = window.desk.ws
    assert [a.id for a in AdapterStore(ws).list()] == [previous]
    assert AdapterStore(ws).active().id == previous
    assert window.desk.encoder.adapter is not None
    assert window.desk.encoder.adapter.id == previous

    # The UI is usable again: nothing stuck in "running", and other pages work.
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()
    assert not page.progress.isVisible() and page.adapters.rowCount() == 1
    ask = window.ask_page
    assert ask.ask_button.isEnabled()
    ask.query.setText("新型專利技術報告有什麼用？")
    qtbot.mouseClick(ask.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert ask.result is not None and ask.result.sources
    window.close()
