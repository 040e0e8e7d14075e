"""The log file keeps the clients' texts out by default (ids, counts, lengths only); verbose
logging, chosen by a setting outside any workspace or PATENT_DESK_VERBOSE_LOGS=1, adds them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from core import logs
from core.desk import Desk
from tests.conftest import DEMO_DIR, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "專利師可以用什麼方式執業？"


def _log_text(home: Path) -> str:
    return "".join(p.read_text("utf-8") for p in sorted((home / "logs").glob("*.log*")))


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    logs.setup_logging(verbose=False)
    for handler in list(logging.getLogger(logs.LOGGER).handlers):
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()


def test_the_cli_logs_counts_not_texts(data_home: Path, encoder,
                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(logs.VERBOSE_ENV, raising=False)
    logs.setup_logging()  # what the CLI and the desktop app call first
    with Desk("default", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
    asked = run_cli("ask", QUESTION, "--json", home=data_home)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    text = _log_text(data_home)
    assert "import into default: patent_attorney_act_qa.csv: 10 added" in text
    assert f"question <{len(QUESTION)} chars>" in text and "cited [" in text
    assert answer["answer"][:12] not in text and QUESTION not in text
    for hit in answer["results"]:
        assert hit["question"] not in text and hit["answer"][:12] not in text


def test_verbose_logging_adds_the_texts(data_home: Path, encoder,
                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(logs.VERBOSE_ENV, raising=False)
    folder = logs.setup_logging()
    assert folder == data_home / "logs" and not logs.verbose()
    logs.set_verbose(True)  # saved outside the workspaces: every workspace, next start too
    assert json.loads((data_home / "settings.json").read_text())["verbose_logs"] is True
    assert logs.setup_logging() == folder and logs.verbose()
    with Desk("w", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
        result = desk.ask(QUESTION)
    assert QUESTION in _log_text(data_home)
    assert result.text.splitlines()[0] in _log_text(data_home)
    logs.set_verbose(False)
    monkeypatch.setenv(logs.VERBOSE_ENV, "1")  # the environment wins over the setting
    logs.setup_logging()
    assert logs.verbose()


def test_logging_never_breaks_the_app_on_a_read_only_home(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("PATENT_DESK_HOME", str(blocked))  # cannot hold a logs folder
    folder = logs.setup_logging()
    logs.log().warning("still fine")
    assert folder == blocked / "logs"
