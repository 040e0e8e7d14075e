"""The Ask page over the real demo workspace and the real bundled models: official and
generated answers, streaming, citations that open their entry, the sources table, copying
and the model-fit banner."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.main_window import MainWindow
from tests.desktop_helpers import click_text, open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "新型專利技術報告有什麼用？"


def ask(qtbot, window: MainWindow, question: str, generated: bool) -> None:
    page = window.ask_page
    (page.generate_mode if generated else page.extract_mode).click()
    wait_idle(qtbot, window)  # choosing generated answers loads the model first
    page.query.setText(question)
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert page.result is not None, window.status.text()


def check_sources_and_citation(qtbot, window: MainWindow) -> None:
    page = window.ask_page
    result = page.result
    assert result is not None and result.citations and result.sources
    assert page.sources.rowCount() == len(result.hits) > 0
    first = result.sources[0].item
    rows = {page.sources.item(r, 1).text(): r for r in range(page.sources.rowCount())}
    for number, source in enumerate(result.sources, start=1):  # "Cited": what the text cites
        cited = source.item.id in result.citations
        assert page.sources.item(rows[source.item.question], 0).text() == \
            (f"[{number}]" if cited else "")
    found_by = {page.sources.item(r, 4).text() for r in range(page.sources.rowCount())}
    assert found_by <= {"lexical", "dense", "both"} and found_by
    assert f'href="item:{first.id}"' in page.answer.toHtml()

    click_text(qtbot, page.answer, "[1]")
    qtbot.waitUntil(lambda: bool(page.open_dialogs), timeout=5_000)
    dialog = page.open_dialogs[-1]
    assert dialog.isVisible() and dialog.item.id == first.id
    assert dialog.question.text() == first.question
    assert dialog.answer.toPlainText() == first.answer
    assert dialog.category.text() == (first.category or "(none)")
    assert first.source_file in dialog.source.text()
    assert str(first.source_row) in dialog.source.text()
    dialog.close()


def test_official_answer_cites_and_opens_its_entry(qtbot, demo_workspace: str):
    window = open_window(qtbot, demo_workspace)
    page = window.ask_page
    ask(qtbot, window, QUESTION, generated=False)
    result = page.result
    assert result.mode == "extract" and page.tokens_received == 0
    assert "新型專利技術報告" in result.sources[0].item.question
    assert result.sources[0].item.answer in page.answer.toPlainText()  # quoted verbatim
    assert "official answer" in window.status.text()
    check_sources_and_citation(qtbot, window)

    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == result.with_sources()
    assert "utility_model_report_qa.csv" in copied and "資料來源" in copied
    window.close()


def test_generated_answer_streams_and_cites(qtbot, demo_workspace: str):
    window = open_window(qtbot, demo_workspace)
    page = window.ask_page
    streamed: list[str] = []
    seen_while_streaming: list[str] = []

    def on_job(busy: bool) -> None:  # watch the answer's own token signal as it streams
        if busy and window.jobs.jobs:
            window.jobs.jobs[-1].signals.token.connect(
                lambda piece: (streamed.append(piece),
                               seen_while_streaming.append(page.answer.toPlainText())))

    page.generate_mode.click()  # loads the model and has it read its instructions now
    wait_idle(qtbot, window)
    assert "Language model ready: Qwen2.5-Coder-0.5B" in window.status.text()
    window.jobs.busy_changed.connect(on_job)
    ask(qtbot, window, QUESTION, generated=True)
    result = page.result
    assert result.mode == "generate" and "Qwen2.5-Coder-0.5B" in result.model
    assert result.model in window.status.text() and " s" in window.status.text()
    assert "first words after" in window.status.text()
    assert len(streamed) > 1 and page.tokens_received == len(streamed)
    # The view grew while the model wrote, before the final (linked) rendering.
    assert len(set(seen_while_streaming)) > 1
    assert "".join(streamed).strip() == result.text
    check_sources_and_citation(qtbot, window)
    # The bundled LLM writes Chinese: no warning about it above the answer.
    assert "English-only" not in page.banner.text()
    # The Models page shows how fast the model wrote here.
    window.tabs.setCurrentWidget(window.models_page)
    speed = window.models_page.llm_box.speed.text()
    assert "tokens/s" in speed and "first token" in speed and "on this computer" in speed
    window.close()


def test_an_english_question_shows_what_was_searched(qtbot, demo_workspace: str):
    window = open_window(qtbot, demo_workspace)
    ask(qtbot, window, "What is the grace period?", generated=False)
    result = window.ask_page.result
    assert result.searched_as == "優惠期"
    assert "優惠期" in result.sources[0].item.question
    assert "searched as: 優惠期" in window.status.text()


def test_ask_answers_while_the_first_embedding_fills_in(qtbot, data_home, encoder):
    """A workspace whose entries have no vectors yet (a fresh import, the demo's first
    launch): Ask works at once from the lexical index, the status bar says how far semantic
    search has come, and the dense channel is there once the background fill ends."""
    from core.desk import Desk
    from tests.conftest import DEMO_DIR
    from tests.desktop_helpers import SLOW

    with Desk("firm", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_qa.csv"], fill=False)
    window = MainWindow("firm", dialogs=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.desk is not None, timeout=SLOW)
    page = window.ask_page
    assert page.ask_button.isEnabled()  # nothing waits for the embedding
    assert window.jobs.busy(background=True) and not window.jobs.busy()
    assert window.semantic.isVisible()
    assert "Semantic search:" in window.semantic.text()

    page.query.setText(QUESTION)
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None, timeout=SLOW)
    assert page.result.citations and "新型專利技術報告" in page.answer.toPlainText()

    wait_idle(qtbot, window)  # the fill ends
    assert not window.semantic.isVisible()
    assert window.desk.semantic_state().complete
    ask(qtbot, window, QUESTION, generated=False)
    assert any("dense" in hit.channels for hit in page.result.hits)
    assert "semantic search" not in window.status.text()


def test_stop_keeps_the_partial_answer_and_its_sources(qtbot, demo_workspace: str):
    """Stop, clicked as the first words appear, ends the writing: the page shows what was
    written with its sources, says it was stopped, and is ready for the next question."""
    window = open_window(qtbot, demo_workspace)
    page = window.ask_page
    assert not page.stop_button.isEnabled()  # nothing is being written
    clicked: list[bool] = []

    def first_words(_piece: str) -> None:
        if not clicked:
            clicked.append(page.stop_button.isEnabled())
            page.stop_button.click()  # a click on a disabled button does nothing

    def on_job(busy: bool) -> None:
        if busy and window.jobs.jobs:
            window.jobs.jobs[-1].signals.token.connect(first_words)

    page.generate_mode.click()
    wait_idle(qtbot, window)
    window.jobs.busy_changed.connect(on_job)
    page.query.setText(QUESTION)
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    assert page.stop_button.isEnabled() and not page.ask_button.isEnabled()
    wait_idle(qtbot, window)
    result = page.result
    assert clicked == [True] and result is not None and result.stopped
    assert "Stopped" in window.status.text() and result.model in window.status.text()
    assert result.text and result.text in page.answer.toPlainText()
    assert page.sources.rowCount() == len(result.hits) > 0 and result.sources
    cited = {page.sources.item(r, 0).text() for r in range(page.sources.rowCount())} - {""}
    assert cited == {f"[{n}]" for n, h in enumerate(result.sources, start=1)
                     if h.item.id in result.citations}
    assert not page.stop_button.isEnabled() and page.ask_button.isEnabled()
    ask(qtbot, window, QUESTION, generated=False)  # the next question is answered as usual
    assert not page.result.stopped and "Stopped" not in window.status.text()
    window.close()
