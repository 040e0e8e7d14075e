"""The main window shell (offscreen Qt, real workspaces and models): the workspace
switcher, menus, shortcuts, settings remembered between launches, drag-and-drop import,
translations, icons and one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSize, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from core.text import CJK_CHAR_RE
from desktop.app import startup_workspace
from desktop.main_window import MainWindow
from desktop.pages.library import LibraryPage
from desktop.settings import SettingsDialog, install_translators, saved_language
from tests.conftest import TIPO_FILES
from tests.qt_helpers import answer_next_dialog, click, open_window, type_text, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow



def _combo(window: MainWindow) -> list[str]:
    combo = window.switcher.combo
    return [combo.itemText(i) for i in range(combo.count())]


def test_workspaces_are_created_renamed_and_deleted_from_the_toolbar(qtbot, demo_workspace,
                                                                     data_home: Path):
    window = open_window(qtbot, demo_workspace)
    assert _combo(window) == ["demo"] and window.windowTitle() == "Patent Desk — demo"

    asked = answer_next_dialog(type_text("事務所"))
    window.switcher.new_action.trigger()
    wait_idle(qtbot, window)
    assert asked == ["Name of the new workspace:"]
    assert window.windowTitle() == "Patent Desk — 事務所"
    assert _combo(window) == ["demo", "事務所"] and window.switcher.combo.currentText() == "事務所"
    assert window.library_page.count.text() == "0 entries"

    answer_next_dialog(type_text("客戶 B"))
    window.switcher.rename_action.trigger()
    wait_idle(qtbot, window)
    assert window.windowTitle() == "Patent Desk — 客戶 B"
    assert _combo(window) == ["demo", "客戶 B"]
    assert (data_home / "workspaces" / "客戶 B.sqlite").exists()

    answer_next_dialog(type_text("demo"))  # taken: refused in one line, nothing changes
    window.switcher.rename_action.trigger()
    wait_idle(qtbot, window)
    assert window.status.text() == ("a workspace named 'demo' already exists; "
                                    "choose another name")
    assert _combo(window) == ["demo", "客戶 B"] and window.desk.ws.name == "客戶 B"

    asked = answer_next_dialog(click(QMessageBox.StandardButton.No))
    window.switcher.delete_action.trigger()
    assert "Delete workspace '客戶 B'" in asked[0] and "cannot be undone" in asked[0]
    assert _combo(window) == ["demo", "客戶 B"]

    answer_next_dialog(click(QMessageBox.StandardButton.Yes))
    window.switcher.delete_action.trigger()
    wait_idle(qtbot, window)
    assert _combo(window) == ["demo"] and window.windowTitle() == "Patent Desk — demo"
    assert not (data_home / "workspaces" / "客戶 B.sqlite").exists()
    assert "725 items" in window.status.text()
    window.close()


def test_choosing_a_workspace_in_the_combo_opens_it(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    window.switcher.create("second")
    wait_idle(qtbot, window)
    combo = window.switcher.combo
    combo.activated.emit(combo.findText("demo"))
    wait_idle(qtbot, window)
    assert window.desk.ws.name == "demo" and window.windowTitle() == "Patent Desk — demo"
    assert window.library_page.count.text() == "725 entries"
    window.close()


def test_window_tab_and_workspace_are_remembered_between_launches(qtbot, demo_workspace,
                                                                  data_home: Path):
    first = open_window(qtbot, demo_workspace)
    first.resize(700, 500)  # fits the offscreen screen (800x600)
    size = first.size()  # as the pages' minimum sizes allow
    assert size.width() == 700
    first.tabs.setCurrentWidget(first.library_page)
    first.switcher.create("second")
    wait_idle(qtbot, first)
    first.close()
    assert (data_home / "desktop.ini").exists()  # the test's own data home, not the user's

    assert startup_workspace("default") == "second"  # `patent-desk` with no --workspace
    assert startup_workspace("demo") == "demo"
    again = open_window(qtbot, startup_workspace("default"))
    assert again.size() == size
    assert isinstance(again.tabs.currentWidget(), LibraryPage)
    assert again.windowTitle() == "Patent Desk — second"
    again.close()


def test_menus_shortcuts_and_icons(qtbot, demo_workspace, data_home: Path):
    window = open_window(qtbot, demo_workspace)
    menus = {m.title(): [a.text() for a in m.actions() if not a.isSeparator()]
             for m in (a.menu() for a in window.menuBar().actions())}
    assert menus == {
        "&File": ["Import…", "Export…", "Switch workspace…", "New workspace…",
                  "Rename workspace…", "Delete workspace…", "Settings…", "Quit"],
        "&Help": ["Open log folder", "About Patent Desk"]}
    for action in (window.import_action, window.export_action, *window.switcher.actions()):
        # SVG icons render at any device pixel ratio: sharp on a 200% screen too.
        pixmap = action.icon().pixmap(QSize(20, 20), 2.0)
        assert not pixmap.isNull() and pixmap.width() == 40, action.text()
    assert window.import_action.shortcut() == QKeySequence("Ctrl+I")

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    QTest.keySequence(window, QKeySequence("Ctrl+F"))
    assert window.tabs.currentWidget() is window.library_page
    assert window.library_page.filter.hasFocus()
    QTest.keySequence(window, QKeySequence("Ctrl+L"))
    assert window.tabs.currentWidget() is window.ask_page and window.ask_page.query.hasFocus()
    QTest.keySequence(window, QKeySequence("Ctrl+I"))
    assert window.import_wizard is not None and window.import_wizard.isVisible()
    window.import_wizard.reject()

    assert window.open_log_folder() == data_home / "logs"
    assert window.status.text() == f"The log is in {data_home / 'logs'}"
    window.about_action.trigger()
    assert re.fullmatch(r"Patent Desk \S+", window.status.text())

    QTest.keySequence(window, QKeySequence("Ctrl+Q"))
    qtbot.waitUntil(lambda: not window.isVisible())


def test_dropping_spreadsheets_opens_the_import_wizard(qtbot, demo_workspace, tmp_path):
    window = open_window(qtbot, demo_workspace)
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")

    def drop(*files: Path) -> None:
        # Qt delivers a Drop only inside a real drag session, so the handler gets the event
        # a drag from the file manager would bring.
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
        window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))

    drop(other)
    assert window.import_wizard is None  # a PDF is not offered for import
    drop(*TIPO_FILES[:2])
    wizard = window.import_wizard
    assert wizard is not None and wizard.isVisible()
    listed = [wizard.files_page.list.item(i).text() for i in range(wizard.files_page.list.count())]
    assert listed == ["patent_attorney_act_qa.csv — 10 entries, 0 rows skipped",
                      "patent_qa.csv — 689 entries, 0 rows skipped"]
    wizard.reject()
    window.close()


def test_export_writes_the_entries_and_errors_are_one_line(qtbot, demo_workspace, tmp_path):
    window = open_window(qtbot, demo_workspace)
    target = tmp_path / "library.xlsx"
    window.export_to(str(target))
    wait_idle(qtbot, window)
    assert window.status.text() == f"Exported 725 entries to {target}"
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert len(rows) == 726 and rows[0][:2] == ("question", "answer")
    assert "本局地址？" in {row[0] for row in rows}

    window.export_to(str(tmp_path / "missing" / "x.csv"))
    wait_idle(qtbot, window)
    message = window.status.text()
    assert "no such folder" in message and "\n" not in message and "Traceback" not in message
    window.close()


@pytest.fixture
def chinese(qapp):
    install_translators(qapp, "zh_TW")
    yield
    install_translators(qapp, "en")


def test_the_interface_speaks_traditional_chinese(qtbot, demo_workspace, chinese):
    window = open_window(qtbot, demo_workspace)
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert len(tabs) >= 2 and all(CJK_CHAR_RE.search(t) for t in tabs), tabs
    assert window.tabs.tabText(0) == "提問" and window.tabs.tabText(1) == "題庫"
    assert [a.text() for a in window.menuBar().actions()] == ["檔案(&F)", "說明(&H)"]
    assert "725" in window.status.text() and CJK_CHAR_RE.search(window.status.text())
    window.show_progress("embedding", 3, 10)  # core's stage names, wherever progress shows
    assert window.status.text() == "正在建立向量… 3/10"
    window.hide_progress()
    window.close()


def test_language_is_chosen_in_settings_for_the_next_start(qtbot, demo_workspace):
    window = open_window(qtbot, demo_workspace)
    assert saved_language() == "system"
    dialog = window.show_settings()
    assert isinstance(dialog, SettingsDialog)
    names = [dialog.language.itemText(i) for i in range(dialog.language.count())]
    assert names == ["System", "English", "繁體中文"]
    dialog.language.setCurrentIndex(2)
    dialog.accept()
    assert saved_language() == "zh_TW"
    assert window.status.text() == ("The new language takes effect when Patent Desk starts "
                                    "again.")
    window.close()


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(qtbot, data_home):
    from core.logs import setup_logging
    from desktop.app import _excepthook

    setup_logging()
    window = open_window(qtbot, "office")
    try:
        {}["missing"]
    except KeyError as exc:
        _excepthook(window)(KeyError, exc, exc.__traceback__)
    assert window.status.text() == ("Something went wrong (KeyError: 'missing'). Details are "
                                    "in the log (Help → Open log folder).")
    logged = (data_home / "logs" / "patent-desk.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "KeyError: 'missing'" in logged
    window.close()


def test_a_workspace_that_cannot_be_opened_can_still_be_left(qtbot, data_home: Path):
    broken = data_home / "workspaces" / "broken.sqlite"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"this is not a database" * 100)
    window = MainWindow("broken", dialogs=False)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=60_000)
    assert window.desk is None and "cannot open workspace file" in window.status.text()
    assert "\n" not in window.status.text()
    assert not window.import_action.isEnabled() and window.switcher.new_action.isEnabled()
    window.switcher.create("fresh")
    wait_idle(qtbot, window)
    assert window.windowTitle() == "Patent Desk — fresh"
    window.close()


def test_a_workspace_that_is_refused_leaves_the_open_one_in_use(qtbot, data_home: Path):
    window = open_window(qtbot, "office")
    broken = data_home / "workspaces" / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    window.open_workspace("broken")
    qtbot.waitUntil(lambda: window.desk is not None and not window.jobs.busy(), timeout=60_000)
    assert window.desk.ws.name == "office" and window.workspace == "office"
    assert "cannot open workspace file" in window.status.text()
    assert window.windowTitle() == "Patent Desk — office"
    window.close()
