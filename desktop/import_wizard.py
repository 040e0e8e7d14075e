"""The import wizard: choose files, check how each is read (encoding, which column is the
question, the answer, the category) on a preview of its first rows, review the rows that
will be skipped, then import as a job with progress and Cancel, and see what changed.

Every preview comes from core.ingest.preview, the same reader and parser the import runs,
and the import is given exactly the choices the preview showed (FilePreview.confirmed).
Files are read in the UI thread under a busy cursor: even large FAQ files parse in
seconds, while embedding (the slow part) runs as a job.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from core.errors import PatentDeskError
from core.ingest.preview import FilePreview, preview
from core.records import ImportReport, ImportSource
from desktop.import_pages import FILE_FILTER, CheckPage, ColumnsPage, FilesPage, RunPage
from desktop.jobs import Job, JobContext, bind

if TYPE_CHECKING:
    from desktop.host import Host

log = logging.getLogger("patent_desk.desktop")

IMPORTABLE = tuple(s.lstrip("*") for s in FILE_FILTER.split())


class ImportWizard(QWizard):
    def __init__(self, host: Host, files: list[str] | None = None) -> None:
        super().__init__(host)
        self.host = host
        self.setWindowTitle(self.tr("Import spreadsheets"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.resize(900, 620)
        self.previews: dict[str, FilePreview] = {}  # by path, in the order added
        self.job: Job | None = None
        self.reports: list[ImportReport] = []
        self.errors: list[tuple[str, str]] = []  # (file name, one-line message)
        self.finished_import = False
        self.files_page = FilesPage(self)
        self.columns_page = ColumnsPage(self)
        self.check_page = CheckPage(self)
        self.run_page = RunPage(self)
        for page in (self.files_page, self.columns_page, self.check_page, self.run_page):
            self.addPage(page)
        self.add_files(files or [])

    # -- files and their previews -----------------------------------------------------------
    def add_files(self, files: list[str]) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            for file in files:
                path = str(Path(file).resolve())
                if path not in self.previews:
                    self.previews[path] = preview(path)
        finally:
            QApplication.restoreOverrideCursor()
        self.files_page.refresh()
        self.columns_page.refresh_files()

    def remove_file(self, path: str) -> None:
        self.previews.pop(path, None)
        self.files_page.refresh()
        self.columns_page.refresh_files()

    def choose(self, source: ImportSource) -> FilePreview:
        """Re-read one file with the user's encoding / column choices."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.previews[source.path] = result = preview(source)
        finally:
            QApplication.restoreOverrideCursor()
        self.files_page.refresh()
        return result

    def importable(self) -> list[FilePreview]:
        return [p for p in self.previews.values() if p.importable]

    # -- the import job ---------------------------------------------------------------------
    def start_import(self) -> None:
        desk = self.host.desk
        sources = [p.confirmed() for p in self.importable()]
        if desk is None or not sources or self.job is not None:
            return
        errors: list[tuple[str, str]] = []

        def on_error(path: Path, exc: Exception) -> None:
            if isinstance(exc, PatentDeskError):
                errors.append((path.name, str(exc)))
                return
            log.error("import of %s failed", path, exc_info=exc)
            errors.append((path.name, f"Something went wrong ({type(exc).__name__}: {exc}). "
                           "Details are in the log (Help → Open log folder)."))

        def work(ctx: JobContext) -> list[ImportReport]:
            with bind(desk, ctx) as d:
                return d.import_files(sources, on_error=on_error, fill=False)

        def done(reports: list[ImportReport]) -> None:
            self._ended(reports, errors)

        def failed(message: str) -> None:
            self._ended([], [*errors, ("", message)])

        self.job = self.host.jobs.start(work, done, failed, self.run_page.show_progress,
                                        failed)

    def _ended(self, reports: list[ImportReport], errors: list[tuple[str, str]]) -> None:
        self.job = None
        self.reports, self.errors, self.finished_import = reports, errors, True
        self.run_page.show_summary()
        if any(r.added or r.updated for r in reports):
            self.host.items_changed.emit()
        added = sum(r.added for r in reports)
        updated = sum(r.updated for r in reports)
        self.host.show_status(self.tr("Import finished: {added} added, {updated} updated.")
                              .format(added=added, updated=updated))

    def cancel_import(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.run_page.stage.setText(self.tr("Cancelling…"))

    def reject(self) -> None:
        # Cancel during the import stops the job; the wizard stays to say what was kept.
        if self.job is not None:
            self.cancel_import()
            return
        super().reject()
