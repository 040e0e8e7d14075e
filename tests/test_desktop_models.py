"""The Models page with the real bundled models: what is in use and how well it fits, bad
model files refused with a clear message (the old model stays), a good one accepted, the
bundled reset, and the LLM's threads and context size stored in the workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from core.models import bundled_encoder, bundled_llm
from core.models.catalogue import SMOLLM2
from core.models.registry import ready
from desktop.main_window import MainWindow
from desktop.pages.models import ModelsPage
from tests.desktop_helpers import open_window, wait_idle
from tests.qt_helpers import answer_next_dialog, click

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def open_models_page(qtbot, workspace: str) -> tuple[MainWindow, ModelsPage]:
    """The window on `workspace`, showing its Models page."""
    window = open_window(qtbot, workspace)
    window.tabs.setCurrentWidget(window.models_page)
    return window, window.models_page


def choose(qtbot, window: MainWindow, kind: str, path: Path | None) -> None:
    if kind == "encoder":  # every entry is embedded again: the user says yes first
        answer_next_dialog(click(QMessageBox.StandardButton.Yes))
    window.models_page.choose(kind, None if path is None else str(path))
    wait_idle(qtbot, window)


def test_models_page_shows_the_models_and_their_fit(qtbot, small_tipo_workspace: str):
    ready(bundled_llm())  # assembled from its chunk packages, as the first answer does
    window, page = open_models_page(qtbot, small_tipo_workspace)
    llm, encoder = page.llm_box, page.encoder_box
    assert llm.name.text() == "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M) (bundled)"
    assert llm.path.text() == str(bundled_llm().path)
    assert llm.size.text() == f"{bundled_llm().path.stat().st_size / 1e6:,.1f} MB"
    assert not llm.warning.isVisible()  # it writes Chinese
    assert encoder.name.text() == "multilingual-e5-small (bundled)"
    assert not encoder.warning.isVisible()  # it reads Chinese
    assert not llm.reset_button.isEnabled()  # already the bundled one
    # The earlier default writes English only: said plainly when it is chosen.
    llm.bundled.setCurrentIndex(llm.bundled.findData(f"bundled:{SMOLLM2.name}"))
    qtbot.mouseClick(llm.use_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert llm.name.text() == "SmolLM2-135M-Instruct (Q4_1) (bundled)"
    assert llm.warning.isVisible() and "English only" in llm.warning.text()
    assert "mostly Chinese" in llm.warning.text() and llm.reset_button.isEnabled()
    window.close()


def test_bad_models_are_refused_and_the_old_ones_stay(qtbot, small_tipo_workspace: str,
                                                      tmp_path: Path):
    window, page = open_models_page(qtbot, small_tipo_workspace)
    truncated = tmp_path / "truncated.gguf"
    with open(ready(bundled_llm()), "rb") as source, open(truncated, "wb") as target:
        target.write(source.read(3_000_000))  # a GGUF header, most of the tensors missing
    choose(qtbot, window, "llm", truncated)
    refused = window.status.text()
    assert str(truncated) in refused and ("is truncated" in refused or "cannot load" in refused)
    assert page.llm_box.name.text().startswith("Qwen2.5-Coder-0.5B")
    assert window.desk.ws.get_setting("models.llm") is None

    no_weights = tmp_path / "encoder"
    shutil.copytree(bundled_encoder().path, no_weights)
    (no_weights / "model.safetensors").unlink()
    choose(qtbot, window, "encoder", no_weights)
    assert "has no model weights" in window.status.text()
    assert page.encoder_box.name.text() == "multilingual-e5-small (bundled)"
    assert window.desk.ws.get_setting("models.encoder") is None
    assert page.llm_box.isEnabled() and page.encoder_box.isEnabled()  # usable again
    window.close()


def test_choose_a_gguf_then_go_back_to_the_bundled_one(qtbot, small_tipo_workspace: str,
                                                       tmp_path: Path):
    window, page = open_models_page(qtbot, small_tipo_workspace)
    mine = tmp_path / "my-model.gguf"
    shutil.copy(bundled_llm().path, mine)
    choose(qtbot, window, "llm", mine)
    assert window.status.text() == "Model changed."
    assert page.llm_box.name.text() == "my-model.gguf"
    assert page.llm_box.path.text() == str(mine)
    assert not page.llm_box.warning.isVisible()  # a local file's languages are not known
    assert page.llm_box.reset_button.isEnabled()
    qtbot.mouseClick(page.llm_box.reset_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert page.llm_box.name.text().endswith("(bundled)")
    assert window.desk.ws.get_setting("models.llm") is None
    window.close()


def test_threads_and_context_size_are_stored_in_the_workspace(qtbot,
                                                              small_tipo_workspace: str):
    window, page = open_models_page(qtbot, small_tipo_workspace)
    assert (page.threads.value(), page.context.value()) == (0, 4096)
    assert page.threads.text() == "All cores"
    page.threads.setValue(1)
    page.context.setValue(2048)
    qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    assert window.desk.llm_options() == {"n_ctx": 2048, "n_threads": 1}
    assert window.desk.llm.n_ctx == 2048  # the model loads with them
    window.close()

    again, page = open_models_page(qtbot, small_tipo_workspace)
    assert (page.threads.value(), page.context.value()) == (1, 2048)
    again.close()


def test_the_installed_bundled_models_are_listed_and_one_can_be_chosen(
        qtbot, small_tipo_workspace: str):
    window, page = open_models_page(qtbot, small_tipo_workspace)
    box = page.encoder_box
    listed = [box.bundled.itemText(i) for i in range(box.bundled.count())]
    assert listed[0].startswith("multilingual-e5-small (") and "Chinese" in listed[0]
    assert "default" in listed[0] and any(t.startswith("all-MiniLM-L6-v2 (") for t in listed)
    llms = [page.llm_box.bundled.itemText(i) for i in range(page.llm_box.bundled.count())]
    assert any(t.startswith("Qwen2.5-Coder-0.5B-Instruct") and "MB" in t for t in llms)
    box.bundled.setCurrentIndex(box.bundled.findData("bundled:all-MiniLM-L6-v2"))
    embedded_by = window.desk.ws.vector_encoder()
    asked = answer_next_dialog(click(QMessageBox.StandardButton.No))
    qtbot.mouseClick(box.use_button, Qt.MouseButton.LeftButton)
    assert asked and "will be embedded again" in asked[0]
    wait_idle(qtbot, window)
    assert box.name.text() == "multilingual-e5-small (bundled)"  # No: nothing changed
    assert window.desk.ws.vector_encoder() == embedded_by
    answer_next_dialog(click(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(box.use_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert box.name.text() == "all-MiniLM-L6-v2 (bundled)"
    assert window.desk.ws.vector_encoder() == "bundled:all-MiniLM-L6-v2"  # re-embedded
    assert box.warning.isVisible() and box.reset_button.isEnabled()
    answer_next_dialog(click(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(box.reset_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert box.name.text() == "multilingual-e5-small (bundled)"
    assert window.desk.ws.get_setting("models.encoder") is None
    window.close()


def test_switching_to_an_adapter_that_rereads_the_entries_asks_first(
        qtbot, small_tipo_workspace: str):
    from core.store import open_workspace
    from core.store.tuning import AdapterStore

    with open_workspace(small_tipo_workspace) as ws, ws.transaction():
        adapter = AdapterStore(ws).add(ws.vector_encoder() or "", "symmetric", {}, {}, b"")
    window = open_window(qtbot, small_tipo_workspace)
    window.tabs.setCurrentWidget(window.improve_page)
    embedded_by = window.desk.ws.vector_encoder()
    asked = answer_next_dialog(click(QMessageBox.StandardButton.No))
    window.improve_page.activate(adapter)
    assert asked and "will be embedded again" in asked[0]
    assert not window.jobs.busy() and AdapterStore(window.desk.ws).active() is None
    assert window.desk.ws.vector_encoder() == embedded_by  # No: nothing re-embedded
    window.close()
