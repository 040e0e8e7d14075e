"""The main window: opens a workspace in the background and hosts the pages; the menus,
the toolbar with the workspace switcher, shortcuts, drag-and-drop import, and remembering
the window, tab and workspace between launches (actions, menus and toolbar are built by
desktop.window_actions).

Pages receive this window as their host and use only:
  host.desk            the open core Desk, or None while opening
  host.desk_changed    Signal(object): a Desk was opened (or None: closed)
  host.items_changed   Signal(): entries were imported, added, edited or deleted
  host.jobs            JobRunner for anything slower than a blink
  host.workspace       the name of the open (or opening) workspace
  host.show_status(s)  a line in the status bar
  host.show_error(s)   a readable error (dialog unless tests silence it) + status line
  host.show_progress(stage, done, total) / host.hide_progress()
  host.confirm(title, text) -> bool   a Yes/No question (No is the default)
"""

from __future__ import annotations

import logging
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
)

from core import paths
from core.desk import Desk
from core.errors import PatentDeskError
from core.workspaces import list_workspaces
from desktop.import_wizard import IMPORTABLE, ImportWizard
from desktop.jobs import JobContext, JobRunner
from desktop.query_prep import QueryPrep
from desktop.semantic_fill import SemanticFill
from desktop.settings import SettingsDialog, app_settings, icon
from desktop.stages import stage_label
from desktop.window_actions import build_actions, build_menus_and_toolbar
from desktop.workspace_bar import WorkspaceSwitcher

log = logging.getLogger("patent_desk.desktop")
EXPORT_FILTERS = "Excel workbook (*.xlsx);;CSV (*.csv)"


class MainWindow(QMainWindow):
    desk_changed = Signal(object)
    items_changed = Signal()
    # Built by desktop.window_actions.build_actions:
    import_action: QAction
    export_action: QAction
    switch_action: QAction
    settings_action: QAction
    quit_action: QAction
    filter_action: QAction
    ask_action: QAction
    log_action: QAction
    about_action: QAction

    def __init__(self, workspace: str, dialogs: bool = True) -> None:
        super().__init__()
        self.dialogs = dialogs  # tests turn modal dialogs off; messages still reach the status
        self.last_error: str | None = None
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(1100, 720)
        self.desk: Desk | None = None
        self.workspace = workspace
        self._fallback: str | None = None  # reopened when opening another one fails
        self._refused: str | None = None  # that failure, shown once the fallback is open
        self.log_dir = paths.data_home() / "logs"  # desktop.app sets the one logging uses
        self.import_wizard: ImportWizard | None = None
        self.jobs = JobRunner(self)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar(maximumWidth=240, visible=False)
        self.fill = SemanticFill(self, self._filled)  # "40% ready"
        self.semantic = self.fill.label
        self.query_prep = QueryPrep(self)  # training questions after an import
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.semantic)
        self.statusBar().addPermanentWidget(self.query_prep.widget)
        self.statusBar().addPermanentWidget(self.progress)
        self.tabs = QTabWidget(documentMode=True)
        self.setCentralWidget(self.tabs)
        self.switcher = WorkspaceSwitcher(self)
        build_actions(self)
        build_menus_and_toolbar(self)
        self._add_pages()
        self._restore_state()
        self.desk_changed.connect(lambda _d: self._sync_actions())
        self.jobs.busy_changed.connect(lambda _b: self._sync_actions())
        self.jobs.busy_changed.connect(lambda busy: busy or self.start_fill())
        self.open_workspace(workspace)

    def _add_pages(self) -> None:
        from desktop.pages.ask import AskPage

        self.ask_page = AskPage(self)
        self.tabs.addTab(self.ask_page, self.tr("Ask"))
        from desktop.pages.library import LibraryPage

        self.library_page = LibraryPage(self)
        self.tabs.addTab(self.library_page, self.tr("Library"))
        from desktop.pages.improve import ImprovePage
        from desktop.pages.models import ModelsPage

        self.improve_page = ImprovePage(self)
        self.tabs.addTab(self.improve_page, self.tr("Improve retrieval"))
        self.models_page = ModelsPage(self)
        self.tabs.addTab(self.models_page, self.tr("Models"))

    def _sync_actions(self) -> None:
        idle = not self.jobs.busy()
        for act in (self.import_action, self.export_action):
            act.setEnabled(idle and self.desk is not None)
        # Without a Desk too: a workspace that failed to open can still be left or deleted.
        for act in self.switcher.actions():
            act.setEnabled(idle)

    # -- host services ----------------------------------------------------------------------
    def show_status(self, message: str) -> None:
        self.status.setText(message)

    def show_error(self, message: str) -> None:
        log.info("error shown: %s", message)
        self.last_error = message
        self.show_status(message)
        if self.dialogs:
            self.message_box(QMessageBox.Icon.Warning, self.tr("Patent Desk"), message).exec()

    def message_box(self, icon: QMessageBox.Icon, title: str, text: str,
                    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok
                    ) -> QMessageBox:
        """A message box whose text is plain: messages quote file names, questions and
        server replies, and Qt would render '<img src=…>' in them as markup."""
        box = QMessageBox(icon, title, text, buttons, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        return box

    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setMaximum(max(total, 1) if total > 1 else 0)
        self.progress.setValue(done)
        label = stage_label(stage)
        self.show_status(f"{label}… {done}/{total}" if total > 1 else f"{label}…")

    def hide_progress(self) -> None:
        self.progress.setVisible(False)

    def confirm(self, title: str, text: str) -> bool:
        box = self.message_box(QMessageBox.Icon.Question, title, text,
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)  # destroying needs a deliberate yes
        return box.exec() == QMessageBox.StandardButton.Yes

    # -- workspace --------------------------------------------------------------------------
    def open_workspace(self, name: str) -> None:
        # A workspace that cannot be opened must not cost the user the one they had open.
        self._fallback = self.workspace if self.desk and self.workspace != name else None
        self.close_workspace()
        self.workspace = name
        self.setWindowTitle(f"Patent Desk — {name}")
        self.switcher.refresh()
        self.show_status(self.tr("Opening workspace…"))

        def work(ctx: JobContext) -> Desk:
            # Opened without waiting for vectors: Ask answers from the lexical index at
            # once, and the background fill (start_fill) adds the dense channel.
            desk = Desk(name, progress=ctx.progress, cancel=ctx.cancel, fill=False)
            desk.progress, desk.cancel = None, None
            return desk

        self.jobs.start(work, self._opened, self._open_failed, self.show_progress,
                        self._open_failed)

    def close_workspace(self) -> None:
        self.fill.stop()
        if self.desk is not None:
            self.desk.close()
            self.desk = None
            self.desk_changed.emit(None)

    def _opened(self, desk: Desk) -> None:
        self.hide_progress()
        if desk.ws.name != self.workspace:  # the user switched again while this one opened
            desk.close()
            return
        self.desk = desk
        self.switcher.refresh()  # a first launch has just created the workspace's file
        if self._refused:  # back in the previous workspace: the refusal stays in view
            self.show_status(self._refused)
            self._refused = None
        else:
            self.show_status(self.tr("{n} items in workspace '{name}'").format(
                n=desk.ws.count_items(), name=desk.ws.name))
        self.desk_changed.emit(desk)
        self.start_fill()

    def _open_failed(self, message: str) -> None:
        self.hide_progress()
        self.show_error(message)
        fallback, self._fallback = self._fallback, None
        if fallback:
            self._refused = message
            self.open_workspace(fallback)

    def start_fill(self) -> None:
        """Fill the missing vectors in the background (desktop.semantic_fill)."""
        self.fill.start()

    def _filled(self) -> None:  # then training queries, if entries changed (query_prep)
        self.ask_page.show_warnings()  # the fill measured what the encoder reads
        self.query_prep.start()

    def free_llm(self) -> None:
        self.query_prep.stop(wait=True)  # a generated answer needs the LLM now

    # -- import and export ------------------------------------------------------------------
    def import_files(self, files: list[str] | None = None) -> ImportWizard | None:
        """Open the import wizard, with `files` already chosen (dropped, or from a script)."""
        if self.desk is None or self.jobs.busy():
            self.show_error(self.tr("Wait until the workspace is open and no task is running, "
                                    "then import."))
            return None
        self.import_wizard = ImportWizard(self, [str(f) for f in files or []])
        self.import_wizard.open()
        return self.import_wizard

    def ask_export(self) -> None:
        default = str(Path.home() / f"{self.workspace}.xlsx")
        path, chosen = QFileDialog.getSaveFileName(self, self.tr("Export entries"), default,
                                                   EXPORT_FILTERS)
        if path:
            if Path(path).suffix.lower() not in (".xlsx", ".csv"):
                path += ".csv" if "csv" in chosen.lower() else ".xlsx"
            self.export_to(path)

    def export_to(self, path: str) -> None:
        desk = self.desk
        if desk is None or self.jobs.busy():
            return
        self.show_status(self.tr("Exporting…"))

        def work(_ctx: JobContext) -> int:
            from core.export import export_items

            return export_items(desk.ws, Path(path))

        def done(n: int) -> None:
            self.show_status(self.tr("Exported {n} entries to {path}").format(n=n, path=path))

        self.jobs.start(work, done, self.show_error, beside_background=True)

    # -- drag and drop: files dropped on the window go to the import wizard ------------------
    @staticmethod
    def _dropped_files(event) -> list[str]:  # type: ignore[no-untyped-def]
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        return [u.toLocalFile() for u in urls
                if u.isLocalFile() and u.toLocalFile().lower().endswith(IMPORTABLE)]

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        files = self._dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.import_files(files)

    # -- shortcuts, menus -------------------------------------------------------------------
    def page_with(self, attribute: str):  # type: ignore[no-untyped-def]
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            if hasattr(page, attribute):
                return page
        return None

    def focus_filter(self) -> None:
        self._focus_field("filter")

    def focus_ask(self) -> None:
        self._focus_field("query")

    def _focus_field(self, attribute: str) -> None:
        """Show the page that has this input field, with the field focused and selected."""
        page = self.page_with(attribute)
        if page is not None:
            self.tabs.setCurrentWidget(page)
            field = getattr(page, attribute)
            field.setFocus()
            field.selectAll()

    def focus_switcher(self) -> None:
        self.switcher.combo.setFocus()
        if self.dialogs:
            self.switcher.combo.showPopup()

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self)
        dialog.accepted.connect(lambda: self._settings_saved(dialog))
        dialog.open()
        return dialog

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        if not dialog.store_changed:
            self.show_status(self.tr(
                "The new language takes effect when Patent Desk starts again."))
            return
        # Every workspace action now goes to the other store: reopen from there at once, so
        # nothing acts on a workspace of one store while another is shown.
        try:
            names = list_workspaces()
        except PatentDeskError as exc:
            self.show_error(str(exc))
            return
        self.open_workspace(self.workspace if self.workspace in names or not names
                            else names[0])

    def open_log_folder(self) -> Path:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.show_status(self.tr("The log is in {path}").format(path=self.log_dir))
        if self.dialogs:  # tests must not launch the desktop's file manager
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))
        return self.log_dir

    def show_about(self) -> None:
        try:
            version = metadata.version("patent-desk")
        except metadata.PackageNotFoundError:
            version = "?"
        text = self.tr("Patent Desk {version}\n\nAnswers clients' patent questions from your "
                       "own Q&A knowledge base, offline.").format(version=version)
        self.show_status(text.splitlines()[0])
        if self.dialogs:
            QMessageBox.about(self, self.tr("About Patent Desk"), text)

    # -- remembering the window between launches --------------------------------------------
    def _restore_state(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        tab = settings.value("window/tab")
        for i in range(self.tabs.count()):
            if type(self.tabs.widget(i)).__name__ == tab:
                self.tabs.setCurrentIndex(i)

    def save_state(self) -> None:
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        page = self.tabs.currentWidget()
        # The page's class, not its index or title: pages may be added or translated.
        settings.setValue("window/tab", type(page).__name__ if page else "")
        settings.setValue("workspace", self.workspace)
        settings.sync()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.save_state()
        self.jobs.cancel_all()
        self.close_workspace()
        super().closeEvent(event)
