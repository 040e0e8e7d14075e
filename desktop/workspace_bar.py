"""The workspace switcher: a combo box in the toolbar with New, Rename and Delete.

Renaming or deleting the open workspace closes its Desk first (core.workspaces needs the
file closed), then opens the renamed one or another one. Nothing happens while a job runs:
that job is using the open workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QInputDialog, QLineEdit, QSizePolicy

from core.errors import PatentDeskError
from core.workspaces import (
    check_new_name,
    create_workspace,
    delete_workspace,
    list_workspaces,
    rename_workspace,
)
from desktop.settings import icon

if TYPE_CHECKING:
    from desktop.host import Host

FALLBACK = "demo"  # opened when the last workspace is deleted: never an empty app


class WorkspaceSwitcher(QObject):
    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.host = host
        self.combo = QComboBox(minimumContentsLength=16)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.combo.setToolTip(self.tr("Workspace: one knowledge base with its own settings"))
        self.combo.activated.connect(self._chosen)
        self.new_action = QAction(icon("add"), self.tr("New workspace…"), self)
        self.rename_action = QAction(icon("edit"), self.tr("Rename workspace…"), self)
        self.delete_action = QAction(icon("delete"), self.tr("Delete workspace…"), self)
        self.new_action.triggered.connect(self.ask_new)
        self.rename_action.triggered.connect(self.ask_rename)
        self.delete_action.triggered.connect(self.ask_delete)

    def actions(self) -> list[QAction]:
        return [self.new_action, self.rename_action, self.delete_action]

    def refresh(self) -> None:
        """List the workspaces on disk, the open one selected."""
        current = self.host.workspace
        try:
            names = list_workspaces()
        except PatentDeskError as exc:  # e.g. the shared store is out of reach: say so, and
            self.host.show_error(str(exc))  # keep the window (Settings can switch it back)
            names = []
        if current not in names:
            names = sorted([*names, current])
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(names)
        self.combo.setCurrentText(current)
        self.combo.blockSignals(False)

    def _idle(self) -> bool:
        if self.host.jobs.busy():
            self.host.show_error(self.tr(
                "Wait until the current task ends (or cancel it), then try again."))
            return False
        return True

    def _chosen(self, index: int) -> None:
        name = self.combo.itemText(index)
        if name == self.host.workspace:
            return
        if not self._idle():
            self.refresh()
            return
        self.host.open_workspace(name)

    # -- what the actions do, given the user's answers (tests call these too) ----------------
    def create(self, name: str) -> bool:
        if not self._idle():
            return False
        try:
            name = create_workspace(name)
        except PatentDeskError as exc:
            self.host.show_error(str(exc))
            return False
        self.host.open_workspace(name)
        return True

    def rename(self, new: str) -> bool:
        old = self.host.workspace
        if not self._idle():
            return False
        try:
            new = check_new_name(old, new)  # refuse before closing what the user works on
        except PatentDeskError as exc:
            self.host.show_error(str(exc))
            return False
        self.host.close_workspace()
        try:
            new = rename_workspace(old, new)
        except PatentDeskError as exc:
            self.host.show_error(str(exc))
            self.host.open_workspace(old)
            return False
        self.host.open_workspace(new)
        return True

    def delete(self) -> bool:
        name = self.host.workspace
        if not self._idle():
            return False
        self.host.close_workspace()
        try:
            delete_workspace(name)
        except PatentDeskError as exc:
            self.host.show_error(str(exc))
            self.host.open_workspace(name)
            return False
        rest = list_workspaces()
        self.host.open_workspace(rest[0] if rest else FALLBACK)
        self.host.show_status(self.tr("Workspace '{name}' was deleted.").format(name=name))
        return True

    # -- asking the user --------------------------------------------------------------------
    def ask_new(self) -> None:
        name, ok = QInputDialog.getText(self.host, self.tr("New workspace"),
                                        self.tr("Name of the new workspace:"))
        if ok and name.strip():
            self.create(name)

    def ask_rename(self) -> None:
        old = self.host.workspace
        name, ok = QInputDialog.getText(
            self.host, self.tr("Rename workspace"),
            self.tr("New name for workspace '{name}':").format(name=old),
            QLineEdit.EchoMode.Normal, old)
        if ok and name.strip() and name.strip() != old:
            self.rename(name)

    def ask_delete(self) -> None:
        name = self.host.workspace
        if self.host.confirm(
                self.tr("Delete workspace"),
                self.tr("Delete workspace '{name}' with all its items, tuned adapters and "
                        "settings? This cannot be undone.").format(name=name)):
            self.delete()
