"""Driving the real app from a script, for end-to-end tests and demos.

PATENT_DESK_SCRIPT=path.json names a JSON list of actions, run in order once the workspace
is open, each through the widgets a user would click:

  {"import": ["a.csv", "b.xlsx"]}   the import wizard: Next, Import, wait, Finish
  {"ask": "question"}               type into the Ask box, click Ask, wait for the answer
  {"tab": "LibraryPage"}            show a page (by its class name)
  {"screenshot": "shot.png"}        save what the screen shows of the window
  {"state": "state.json"}           save the texts the user sees (for assertions)
  {"quit": 0}                       close the window; exit with that status

A failing step (an error shown, or nothing after STEP_TIMEOUT_S) logs why, prints one line
on stderr and exits with status 3, so a test sees the reason.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWizard

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

log = logging.getLogger("patent_desk.desktop")
STEP_TIMEOUT_S = 900
FAILED = 3
Wait = Callable[[], bool]


class ScriptError(Exception):
    pass


class ScriptRunner(QObject):
    """Runs the actions as a generator that yields conditions to wait for, polled by a
    timer: the event loop keeps running, so jobs, painting and signals go on as usual."""

    def __init__(self, window: MainWindow, actions: list[dict[str, Any]]) -> None:
        super().__init__(window)
        self.window = window
        self.steps = self._run(actions)
        self.waiting: Wait = lambda: True
        self.deadline = time.monotonic() + STEP_TIMEOUT_S
        self.timer = QTimer(self, interval=100)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        try:
            window = self.window
            if window.desk is None and not window.jobs.busy() and window.last_error:
                raise ScriptError(f"no workspace is open: {window.last_error}")
            if not self.waiting():
                if time.monotonic() > self.deadline:
                    raise ScriptError(f"timed out; the status bar says: {self._status()}")
                return
            self.waiting = next(self.steps)
            self.deadline = time.monotonic() + STEP_TIMEOUT_S
        except StopIteration:
            self.timer.stop()
        except Exception as exc:  # noqa: BLE001 - any failure ends the script with its reason
            self.timer.stop()
            log.exception("script failed")
            print(f"script failed: {exc}", file=sys.stderr, flush=True)
            QApplication.exit(FAILED)

    def _status(self) -> str:
        return self.window.status.text()

    def _idle(self) -> bool:
        return self.window.desk is not None and not self.window.jobs.busy()

    def _run(self, actions: list[dict[str, Any]]) -> Iterator[Wait]:
        for action in actions:
            yield self._idle
            ((name, arg),) = action.items()
            log.info("script: %s", name)
            yield from getattr(self, f"do_{name}")(arg)

    # -- actions ----------------------------------------------------------------------------
    def do_import(self, files: list[str]) -> Iterator[Wait]:
        wizard = self.window.import_files(files)
        if wizard is None:
            raise ScriptError(self._status())
        yield wizard.isVisible
        while wizard.currentPage() is not wizard.run_page:
            page = wizard.currentPage()
            which = (QWizard.WizardButton.CommitButton if page.isCommitPage()
                     else QWizard.WizardButton.NextButton)
            button = wizard.button(which)
            if not button.isEnabled():
                raise ScriptError(f"the wizard cannot go on from '{page.title()}'")
            button.click()
            yield lambda: True
        yield lambda: wizard.finished_import
        if wizard.errors:
            raise ScriptError("; ".join(m for _f, m in wizard.errors))
        wizard.button(QWizard.WizardButton.FinishButton).click()
        yield lambda: not wizard.isVisible()

    def do_ask(self, question: str) -> Iterator[Wait]:
        page = self.window.page_with("query")
        if page is None:
            raise ScriptError("there is no Ask page")
        self.window.tabs.setCurrentWidget(page)
        page.query.setText(question)
        page.ask_button.click()
        yield lambda: not self.window.jobs.busy()
        if not page.answer.toPlainText().strip():
            raise ScriptError(f"no answer; the status bar says: {self._status()}")

    def do_tab(self, page_class: str) -> Iterator[Wait]:
        for i in range(self.window.tabs.count()):
            if type(self.window.tabs.widget(i)).__name__ == page_class:
                self.window.tabs.setCurrentIndex(i)
                break
        else:
            raise ScriptError(f"there is no page {page_class}")
        yield lambda: True

    def do_screenshot(self, path: str) -> Iterator[Wait]:
        shown = time.monotonic()
        yield lambda: time.monotonic() - shown > 0.5  # let the last repaint reach the screen
        window = self.window
        image = window.screen().grabWindow(window.winId())
        if image.isNull():  # platforms without screen grabbing: render the widgets
            image = window.grab()
        if not image.save(path):
            raise ScriptError(f"cannot save the screenshot to {path}")

    def do_state(self, path: str) -> Iterator[Wait]:
        Path(path).write_text(json.dumps(visible_state(self.window), ensure_ascii=False,
                                         indent=1), encoding="utf-8")
        yield lambda: True

    def do_quit(self, code: int) -> Iterator[Wait]:
        self.window.close()
        QApplication.exit(int(code))
        yield lambda: False


def visible_state(window: MainWindow) -> dict[str, Any]:
    """The texts a user sees: title, status, tabs, and each page's main content."""
    tabs = window.tabs
    state: dict[str, Any] = {
        "title": window.windowTitle(),
        "status": window.status.text(),
        "tabs": [tabs.tabText(i) for i in range(tabs.count())],
        "current_tab": tabs.tabText(tabs.currentIndex()),
        "workspaces": [window.switcher.combo.itemText(i)
                       for i in range(window.switcher.combo.count())],
    }
    ask = window.page_with("query")
    if ask is not None and hasattr(ask, "answer"):
        state["answer"] = ask.answer.toPlainText()
        # the Sources table's last column, untranslated: lexical, dense or both
        result = getattr(ask, "result", None)
        state["sources_found_by"] = [hit.found_by() for hit in result.hits] if result else []
    library = window.page_with("filter")
    if library is not None:
        state["library_count"] = library.count.text()
        state["library_rows"] = library.model.rowCount()
    return state


def run_script(window: MainWindow, path: str) -> ScriptRunner:
    actions = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(actions, list) or not all(isinstance(a, dict) and len(a) == 1
                                                for a in actions):
        raise SystemExit(f"error: {path}: expected a JSON list of one-key objects")
    return ScriptRunner(window, actions)
