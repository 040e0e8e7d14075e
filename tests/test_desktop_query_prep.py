"""Training questions written in the background after an import (desktop.query_prep): once
the window is left alone, the imported entries' queries are written and stored, the status
bar says so, and Improve retrieval's next run (here `prepare-queries`, the same generation)
finds nothing left to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from core.desk import Desk
from core.models.catalogue import SMOLLM2
from core.store.tuning import QueryStore
from desktop.query_prep import IDLE_MS
from tests.conftest import DEMO_DIR, run_cli
from tests.qt_helpers import open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

FILE = DEMO_DIR / "utility_model_report_qa.csv"  # 26 entries


def _next(qtbot, wizard, which: QWizard.WizardButton) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(wizard.button(which), Qt.MouseButton.LeftButton)


def test_imported_entries_get_their_training_questions_when_the_window_is_idle(
        qtbot, data_home: Path, encoder):
    # An English-only LLM on a Chinese workspace writes no angles (rule-based ones only):
    # the test stays short, and the label's tooltip says why.
    with Desk("firm", encoder=encoder) as desk:
        desk.set_model("llm", f"bundled:{SMOLLM2.name}")
    window = open_window(qtbot, "firm")
    prep = window.query_prep
    assert not prep.widget.isVisible()  # nothing imported yet: nothing to write
    assert prep.idle.interval() == IDLE_MS
    prep.idle.setInterval(2_000)  # the app waits 30 s of no activity; the test, 2 s

    wizard = window.import_files([str(FILE)])
    for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.NextButton,
                  QWizard.WizardButton.CommitButton):
        _next(qtbot, wizard, which)
    qtbot.waitUntil(lambda: wizard.finished_import, timeout=120_000)
    _next(qtbot, wizard, QWizard.WizardButton.FinishButton)
    wait_idle(qtbot, window)
    assert window.status.text() == "Import finished: 26 added, 0 updated."

    # Left alone: the fill ends, then (after the idle wait) the questions are written.
    qtbot.waitUntil(lambda: prep.report is not None, timeout=180_000)
    assert prep.report.added > 26 and not prep.stop_button.isVisible()
    assert prep.label.text() == (f"Training questions ready for Improve retrieval: "
                                 f"{prep.report.added} new")
    assert "English" in prep.label.toolTip()  # why no LLM angles were written
    assert window.status.text() == "Import finished: 26 added, 0 updated."  # not overwritten
    window.close()

    with Desk("firm", encoder=encoder) as desk:
        stored = QueryStore(desk.ws).list()
        assert {q.item_id for q in stored} == set(desk.ws.item_ids())
    again = run_cli("prepare-queries", "--workspace", "firm", home=data_home)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("0 queries added")  # all written already
