"""What a page may use of the window that hosts it. Pages depend on this protocol, not on
MainWindow, so the window can import its pages without the pages importing it back (and a
test can host a page in anything that provides these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from core.desk import Desk
    from desktop.jobs import JobRunner


class Host(Protocol):
    desk: Desk | None  # the open core Desk, or None while opening
    desk_changed: SignalInstance  # (object): a Desk was opened (or None: closed)
    items_changed: SignalInstance  # (): entries were imported, added, edited or deleted
    jobs: JobRunner  # for anything slower than a blink
    workspace: str  # the name of the open (or opening) workspace

    def show_status(self, message: str) -> None: ...

    def show_error(self, message: str) -> None: ...

    def show_progress(self, stage: str, done: int, total: int) -> None: ...

    def hide_progress(self) -> None: ...

    def confirm(self, title: str, text: str) -> bool: ...

    def free_llm(self) -> None: ...

    def open_workspace(self, name: str) -> None: ...

    def close_workspace(self) -> None: ...
