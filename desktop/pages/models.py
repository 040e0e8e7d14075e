"""Models: which language model and sentence encoder this workspace uses, how well they fit
its language, choosing others (checked by core before they are accepted) and the language
model's threads and context size."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.desk import LLM_CTX_RANGE, Desk
from core.errors import PatentDeskError
from core.models.info import ModelInfo, installed_models, models_in_use
from core.models.remote_llm import URL_ENV
from desktop.jobs import JobContext, bind
from desktop.pages.ask import BANNER_STYLE

if TYPE_CHECKING:
    from desktop.host import Host


def confirm_re_embed(host: Host, desk: Desk) -> bool:
    """Re-embedding replaces every entry's vector, and in a shared store every seat's: the
    user says yes first (an empty workspace has nothing to re-embed)."""
    count = desk.ws.count_items()
    if not count:
        return True
    text = QCoreApplication.translate(
        "ModelsPage", "Every entry ({n}) will be embedded again; semantic search keeps the "
        "current vectors until that is done.").format(n=count)
    if desk.ws.path is None:  # a PostgreSQL workspace: shared by every seat
        text += " " + QCoreApplication.translate(
            "ModelsPage", "This workspace is in a shared PostgreSQL store: every seat will "
            "need this encoder for semantic search.")
    return host.confirm(QCoreApplication.translate("ModelsPage", "Embed every entry again?"),
                        text)


class ModelBox(QGroupBox):
    """One model: what it is, its size, whether it fits, and the two ways to change it."""

    def __init__(self, title: str, choose: str, reset: str) -> None:
        super().__init__(title)
        self.name, self.path, self.size = QLabel(), QLabel(wordWrap=True), QLabel()
        self.speed = QLabel(wordWrap=True)  # measured on this computer as the model worked
        self.bundled = QComboBox()  # every bundled model installed here
        self.use_button = QPushButton(self.tr("Use"))
        self.warning = QLabel(wordWrap=True, visible=False)
        self.warning.setStyleSheet(BANNER_STYLE)
        for label in (self.name, self.path, self.warning):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button, self.reset_button = QPushButton(choose), QPushButton(reset)
        form = QFormLayout(self)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Location"), self.path)
        form.addRow(self.tr("Size"), self.size)
        form.addRow(self.tr("Speed"), self.speed)
        form.addRow(self.warning)
        bundled = QHBoxLayout()
        bundled.addWidget(self.bundled, 1)
        bundled.addWidget(self.use_button)
        form.addRow(self.tr("Installed"), bundled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        form.addRow(buttons)

    def show_info(self, info: ModelInfo | None) -> None:
        self.name.setText("" if info is None else info.name + (
            self.tr(" (bundled)") if info.bundled else ""))
        self.path.setText("" if info is None else info.path)
        self.size.setText("" if info is None or not info.size_bytes
                          else f"{info.size_bytes / 1e6:,.1f} MB")
        self.speed.setText("" if info is None else info.speed_text())
        self.warning.setText((info.warning or "") if info else "")
        self.warning.setVisible(bool(info and info.warning))
        self.reset_button.setEnabled(bool(info and not info.default))

    def show_installed(self, infos: list[ModelInfo], current: ModelInfo | None) -> None:
        self.bundled.clear()
        for info in infos:
            self.bundled.addItem(info.summary + (self.tr(", default") if info.default else ""),
                                 info.id)
        at = self.bundled.findData(current.id) if current else -1
        self.bundled.setCurrentIndex(max(at, 0))


class ModelsPage(QWidget):
    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.llm_box = ModelBox(self.tr("Language model (writes generated answers)"),
                                self.tr("Choose GGUF file…"), self.tr("Use bundled model"))
        self.encoder_box = ModelBox(self.tr("Sentence encoder (semantic search)"),
                                    self.tr("Choose encoder folder…"),
                                    self.tr("Use bundled encoder"))
        self.threads = QSpinBox(minimum=0, maximum=256)
        self.threads.setSpecialValueText(self.tr("All cores"))  # shown for 0
        self.context = QSpinBox(minimum=LLM_CTX_RANGE[0], maximum=LLM_CTX_RANGE[1],
                                singleStep=1024, suffix=self.tr(" tokens"))
        self.server = QLineEdit(clearButtonEnabled=True)
        self.server.setPlaceholderText(self.tr("empty: the model on this computer"))
        self.server.setToolTip(self.tr(
            "An OpenAI-compatible server shared by several seats (llama.cpp server, vLLM, "
            "Ollama), e.g. http://192.168.1.20:8000/v1"))
        self.apply_button = QPushButton(self.tr("Apply"))
        settings = QGroupBox(self.tr("Language model settings (this workspace)"))
        form = QFormLayout(settings)
        form.addRow(self.tr("Threads"), self.threads)
        form.addRow(self.tr("Context size"), self.context)
        form.addRow(self.tr("LLM server"), self.server)
        form.addRow(self.apply_button)
        self.notes = QLabel(wordWrap=True, visible=False)
        self.notes.setStyleSheet(BANNER_STYLE)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        for widget in (self.notes, self.llm_box, self.encoder_box, settings):
            layout.addWidget(widget)
        layout.addStretch(1)

        self.llm_box.choose_button.clicked.connect(self._pick_llm)
        self.llm_box.reset_button.clicked.connect(lambda: self.choose("llm", None))
        self.llm_box.use_button.clicked.connect(
            lambda: self.choose("llm", self.llm_box.bundled.currentData()))
        self.encoder_box.use_button.clicked.connect(
            lambda: self.choose("encoder", self.encoder_box.bundled.currentData()))
        self.encoder_box.choose_button.clicked.connect(self._pick_encoder)
        self.encoder_box.reset_button.clicked.connect(lambda: self.choose("encoder", None))
        self.apply_button.clicked.connect(self.apply_settings)
        host.desk_changed.connect(lambda _desk: self.refresh())
        host.jobs.busy_changed.connect(lambda _busy: self._sync_enabled())
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        # A model must not change under a running job (an answer or a tuning run uses it).
        idle = self.host.desk is not None and not self.host.jobs.busy()
        for widget in (self.llm_box, self.encoder_box, self.apply_button):
            widget.setEnabled(idle)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt's
        self.refresh()  # speeds measured since it was last shown (answers, fills)
        super().showEvent(event)

    def refresh(self) -> None:
        desk = self.host.desk
        infos = {i.kind: i for i in models_in_use(desk)} if desk is not None else {}
        self.llm_box.show_info(infos.get("llm"))
        self.encoder_box.show_info(infos.get("encoder"))
        if desk is not None:
            language = desk.language()
            for kind, box in (("llm", self.llm_box), ("encoder", self.encoder_box)):
                box.show_installed(installed_models(kind, language), infos.get(kind))
        if desk is not None:
            options = desk.llm_options()
            self.threads.setValue(options["n_threads"])
            self.context.setValue(options["n_ctx"])
            self.server.setText(desk.llm_url() or "")
            # The environment variable decides for every command; the field only shows it.
            self.server.setReadOnly(bool(os.environ.get(URL_ENV)))
        notes = desk.warnings() if desk is not None else []
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._sync_enabled()

    # -- choosing ---------------------------------------------------------------------------
    def _pick_llm(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF language model"),
                                              "", self.tr("GGUF models (*.gguf)"))
        if path:
            self.choose("llm", path)

    def _pick_encoder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Choose a sentence-transformers model folder"))
        if path:
            self.choose("encoder", path)

    def choose(self, kind: str, path: str | None) -> None:
        """Use a model file/folder (None: the bundled one). Core loads it first; a model
        that cannot serve is refused with the reason, and the previous one stays."""
        desk = self.host.desk
        if desk is None or self.host.jobs.busy():
            return
        if kind == "encoder" and not confirm_re_embed(self.host, desk):
            return
        self.host.show_status(self.tr("Checking the model…"))

        def work(ctx: JobContext) -> None:
            with bind(desk, ctx) as d:
                d.set_model(kind, path)  # a new encoder re-embeds every entry first
                if kind == "encoder" and d.ws.count_items():
                    d.refresh_quality()

        self.host.jobs.start(work, self._chosen, self._refused, self.host.show_progress,
                             self._refused)

    def _chosen(self, _result: object) -> None:
        self.host.hide_progress()
        self.refresh()
        self.host.show_status(self.tr("Model changed."))

    def _refused(self, message: str) -> None:
        self.host.hide_progress()
        self.refresh()
        self.host.show_error(message)

    def apply_settings(self) -> None:
        desk = self.host.desk
        if desk is None or self.host.jobs.busy():
            return
        try:
            desk.set_llm_options(self.context.value(), self.threads.value())
        except PatentDeskError as exc:
            self.host.show_error(str(exc))
            return
        url = self.server.text().strip()
        if self.server.isReadOnly() or url == (desk.llm_url() or ""):
            self.host.show_status(self.tr("Saved; the language model uses them from its "
                                          "next answer."))
            return
        self.host.show_status(self.tr("Connecting to the LLM server…"))

        def work(ctx: JobContext) -> None:
            with bind(desk, ctx) as d:
                d.set_llm_url(url or None)  # an unreachable server is refused, nothing saved

        self.host.jobs.start(work, self._chosen, self._refused, self.host.show_progress,
                             self._refused)
