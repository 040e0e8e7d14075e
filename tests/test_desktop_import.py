"""The import wizard (offscreen Qt) on real files into a real workspace with the real
bundled encoder: preview, column and encoding choices, the validation report, the import
job with its summary, and Cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from desktop.import_wizard import ImportWizard
from tests.conftest import DEMO_DIR, TIPO_FILES
from tests.qt_helpers import open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _click(qtbot, wizard: ImportWizard, which: QWizard.WizardButton) -> None:  # type: ignore[no-untyped-def]
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _choose(combo, text: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an entry of a dropdown as a user does (the `activated` signal follows a click)."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _headers(wizard: ImportWizard) -> list[str]:
    model = wizard.columns_page.model
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def test_three_tipo_files_are_previewed_checked_and_imported(qtbot, data_home: Path):
    window = open_window(qtbot, "office")
    assert window.library_page.count.text() == "0 entries"
    wizard = window.import_files([str(f) for f in TIPO_FILES])
    files = wizard.files_page.list
    assert [files.item(i).text() for i in range(files.count())] == [
        "patent_attorney_act_qa.csv — 10 entries, 0 rows skipped",
        "patent_qa.csv — 689 entries, 0 rows skipped",
        "utility_model_report_qa.csv — 26 entries, 0 rows skipped"]

    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = wizard.columns_page
    assert wizard.currentPage() is page
    _choose(page.file, "patent_qa.csv")
    assert page.encoding.currentText() == "utf-8-sig"
    assert (page.question.currentText(), page.answer.currentText(),
            page.category.currentText()) == ("題目", "解答", "類別")
    assert _headers(wizard) == ["項次", "類別 → Category", "題目 → Question", "解答 → Answer",
                                "更新日期"]
    assert page.model.rowCount() == 20
    assert page.model.data(page.model.index(0, 2)) == "本局地址？"
    assert page.summary.text() == "689 entries will be imported; 0 rows will be skipped."

    _choose(page.category, "(none)")  # the user decides categories are not wanted here
    assert "類別 → Category" not in _headers(wizard)
    _choose(page.category, "類別")

    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    check = wizard.check_page
    assert check.summary.text() == "3 files: 725 entries to import, 0 rows skipped."
    assert "Nothing has been changed yet" in check.subTitle()
    assert window.desk.ws.count_items() == 0
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "Import"

    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    run = wizard.run_page
    qtbot.waitUntil(lambda: wizard.finished_import, timeout=600_000)
    table = run.table
    rows = [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())]
    assert rows == [["patent_attorney_act_qa.csv", "10", "0", "0", "0"],
                    ["patent_qa.csv", "689", "0", "0", "0"],
                    ["utility_model_report_qa.csv", "26", "0", "0", "0"]]
    assert run.stage.text() == ("Done: 725 added, 0 updated, 0 unchanged, 0 skipped. "
                                "The workspace now has 725 entries.")
    assert run.errors.text() == ""
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert not wizard.isVisible()
    wait_idle(qtbot, window)
    assert window.library_page.count.text() == "725 entries"
    assert window.status.text() == "Import finished: 725 added, 0 updated."

    again = window.import_files([str(TIPO_FILES[0])])  # re-importing changes nothing
    _click(qtbot, again, QWizard.WizardButton.NextButton)
    _click(qtbot, again, QWizard.WizardButton.NextButton)
    _click(qtbot, again, QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(lambda: again.finished_import, timeout=120_000)
    assert again.run_page.stage.text().startswith("Done: 0 added, 0 updated, 10 unchanged")
    again.accept()
    window.close()


def test_columns_and_encoding_are_chosen_when_they_cannot_be_recognised(qtbot, tmp_path):
    odd = tmp_path / "舊系統匯出.csv"
    odd.write_bytes("欄一,欄二,欄三\n可以預繳年費嗎？,可以。,年費\n,沒有問題的列,年費\n"
                    "規費多少？,請見規費表。,規費\n".encode("cp950"))
    window = open_window(qtbot, "office")
    wizard = window.import_files([str(odd)])
    listed = wizard.files_page.list.item(0)
    assert "no question or answer column recognised among: 欄一, 欄二, 欄三" in listed.text()
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = wizard.columns_page
    assert page.encoding.currentText() == "cp950" and page.encoding.isEnabled()
    assert page.question.currentText() == "(choose a column)"
    assert page.model.rowCount() == 3
    assert page.model.data(page.model.index(0, 0)) == "可以預繳年費嗎？"
    assert "no question or answer column recognised" in page.summary.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    _choose(page.encoding, "utf-8")  # a wrong guess by the user is explained, not fatal
    assert "cannot be read as utf-8" in page.summary.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    _choose(page.encoding, "cp950")
    _choose(page.question, "欄一")
    _choose(page.answer, "欄二")
    _choose(page.category, "欄三")
    assert page.summary.text() == "2 entries will be imported; 1 rows will be skipped."
    assert _headers(wizard) == ["欄一 → Question", "欄二 → Answer", "欄三 → Category"]

    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    tree = wizard.check_page.tree
    top = tree.topLevelItem(0)
    assert top.text(0) == ("舊系統匯出.csv: 2 entries, 1 rows skipped (cp950; columns "
                           "欄一 / 欄二 / 欄三)")
    assert top.child(0).text(0) == "Row 3: empty question (欄一)"
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(lambda: wizard.finished_import, timeout=120_000)
    assert wizard.run_page.stage.text().startswith("Done: 2 added, 0 updated, 0 unchanged, "
                                                   "1 skipped.")
    wizard.accept()
    wait_idle(qtbot, window)
    assert window.library_page.count.text() == "2 entries"
    categories = window.library_page.category
    assert [categories.itemText(i) for i in range(categories.count())] == [
        "All categories", "年費 (1)", "規費 (1)"]
    window.close()


def test_cancel_stops_the_import_and_keeps_only_whole_files(qtbot):
    window = open_window(qtbot, "office")
    wizard = window.import_files([str(DEMO_DIR / "patent_qa.csv")])
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    _click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    _click(qtbot, wizard, QWizard.WizardButton.CancelButton)
    assert wizard.isVisible()  # Cancel stops the job; the wizard stays to say what happened
    qtbot.waitUntil(lambda: wizard.finished_import, timeout=120_000)
    message = wizard.run_page.errors.text()
    assert message.startswith("patent_qa.csv: ") and "cancelled; nothing was changed" in message
    assert not wizard.run_page.table.isVisible()
    wizard.reject()
    assert not wizard.isVisible()
    wait_idle(qtbot, window)
    assert window.desk.ws.count_items() == 0
    assert window.library_page.count.text() == "0 entries"
    window.close()


def test_files_that_cannot_be_read_are_listed_and_left_out(qtbot, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    window = open_window(qtbot, "office")
    wizard = window.import_files([str(empty), str(DEMO_DIR / "patent_attorney_act_qa.csv")])
    texts = [wizard.files_page.list.item(i).text() for i in range(2)]
    assert texts[0] == "empty.csv — empty.csv: the file is empty; add a header row and Q&A rows"
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.columns_page.file.currentText() == "empty.csv"  # the one needing attention
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)  # the other file can still go in
    tree = wizard.check_page.tree
    assert tree.topLevelItem(0).text(0).startswith("empty.csv: will not be imported.")
    assert wizard.check_page.summary.text() == "1 files: 10 entries to import, 0 rows skipped."
    wizard.reject()
    window.close()
