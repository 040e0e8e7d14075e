"""A native crash of llama.cpp never takes the app down: generation runs in a child process,
and a real SIGILL or SIGKILL there becomes one line that says what happened and what to do,
in the engine, the CLI and the window, while official answers keep working."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.desk import Desk
from core.errors import ModelError
from core.models import bundled_llm
from core.models.llm import LocalLLM
from tests.conftest import ROOT
from tests.desktop_helpers import open_window, wait_idle

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "專利年費可以預繳嗎？"


def kill_on_first_token(llm: LocalLLM, sig: int) -> tuple[list[str], object]:
    """An on_token callback that kills the generating child with `sig` after one token."""
    pieces: list[str] = []

    def on_token(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 1:
            pid = llm.worker_pid
            assert pid is not None and pid != os.getpid()
            os.kill(pid, sig)

    return pieces, on_token


@pytest.mark.parametrize("sig, said", [
    (signal.SIGILL, "illegal instruction (SIGILL)"),
    (signal.SIGKILL, "killed (SIGKILL"),
])
def test_a_crash_mid_answer_is_one_line_and_the_next_answer_works(
        small_tipo_workspace: str, encoder, sig: int, said: str):
    llm = LocalLLM(bundled_llm())
    try:
        with Desk(small_tipo_workspace, encoder=encoder, llm=llm) as desk:
            pieces, on_token = kill_on_first_token(llm, sig)
            with pytest.raises(ModelError) as failure:
                desk.ask(QUESTION, "generate", on_token=on_token)
            message = str(failure.value)
            assert said in message and "\n" not in message
            assert "official answers (--mode extract)" in message
            if sig == signal.SIGILL:  # the fix: the portable build's command
                assert "packaging/install.py --rebuild-llama" in message
            assert len(pieces) >= 1  # it was really answering when it died
            # This process survived; the official answer and a new generation both work.
            official = desk.ask(QUESTION, "extract")
            assert official.citations and official.mode == "extract"
            again = desk.ask(QUESTION, "generate")
            assert again.text and again.sources
    finally:
        llm.close()


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def test_the_cli_says_what_crashed_in_one_line(data_home: Path, small_tipo_workspace: str):
    exe = Path(sys.executable).with_name("patent-desk")
    env = {**os.environ, "PATENT_DESK_HOME": str(data_home)}
    cli = subprocess.Popen([str(exe), "ask", QUESTION, "--mode", "generate", "--workspace",
                            small_tipo_workspace], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    killed = False
    deadline = time.monotonic() + 300
    while cli.poll() is None and time.monotonic() < deadline and not killed:
        for child in _children(cli.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"llm_worker" in cmdline:
                os.kill(child, signal.SIGILL)
                killed = True
        time.sleep(0.05)
    out, err = cli.communicate(timeout=120)
    assert killed, (out, err)
    assert cli.returncode == 2, (cli.returncode, out, err)  # an error the user can act on
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "illegal instruction" in line]
    assert len(lines) == 1 and "packaging/install.py --rebuild-llama" in lines[0], err


def test_the_window_survives_a_killed_llm_and_says_so(qtbot, small_tipo_workspace: str):
    window = open_window(qtbot, small_tipo_workspace)
    page = window.ask_page
    killed: list[int] = []

    def on_job(busy: bool) -> None:
        if busy and window.jobs.jobs:
            window.jobs.jobs[-1].signals.token.connect(kill_once)

    def kill_once(_piece: str) -> None:
        if not killed:
            pid = window.desk.llm.worker_pid
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    page.generate_mode.click()
    wait_idle(qtbot, window)  # the model loads (and warms) when generated answers are picked
    window.jobs.busy_changed.connect(on_job)
    page.query.setText(QUESTION)
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert killed and page.result is None
    assert "killed (SIGKILL" in window.status.text() and window.last_error
    window.jobs.busy_changed.disconnect(on_job)
    # Still responsive: the official answer comes at once, and so does a new generation.
    page.extract_mode.click()
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert page.result is not None and page.result.mode == "extract"
    page.generate_mode.click()  # a fresh model process starts here
    wait_idle(qtbot, window)
    qtbot.mouseClick(page.ask_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert page.result is not None and page.result.mode == "generate"
    window.close()
