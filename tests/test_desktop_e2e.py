"""End to end: the real `patent-desk` program on a fresh data home, driven through its
widgets by a PATENT_DESK_SCRIPT (desktop/script.py): import the three TIPO files with the
wizard, ask a question, take screenshots, quit.

It runs on a real X server (Xvfb, through Qt's xcb plugin, so the launcher's system check and
the X11 libraries are exercised) where Xvfb is installed, and on Qt's offscreen platform with
a screen of the same size otherwise: it never skips. Where Xvfb is installed but an X11
library Qt needs is not, the launcher's one line (which packages to install) fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import TIPO_FILES

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "新型專利技術報告有什麼用？"
SCREEN = (1280, 800)


@pytest.fixture
def display(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment that puts the app on a screen: a private X display (Xvfb picks a free
    number and reports it once it is ready), else an offscreen screen of the same size."""
    if shutil.which("Xvfb") is None:
        config = tmp_path / "offscreen.json"
        config.write_text(json.dumps({"screens": [{
            "name": "e2e", "x": 0, "y": 0, "width": SCREEN[0], "height": SCREEN[1],
            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
        yield {"QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as ready:
            number = ready.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_import_ask_and_screenshot_in_the_real_app(display: dict[str, str], data_home: Path,
                                                   tmp_path: Path):
    shots = {"library": tmp_path / "library.png", "ask": tmp_path / "ask.png"}
    state = tmp_path / "state.json"
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        {"import": [str(f) for f in TIPO_FILES]},
        {"tab": "LibraryPage"},
        {"screenshot": str(shots["library"])},
        {"ask": QUESTION},
        {"screenshot": str(shots["ask"])},
        {"state": str(state)},
        {"quit": 0},
    ], ensure_ascii=False), encoding="utf-8")
    exe = Path(sys.executable).with_name("patent-desk")
    assert exe.exists(), f"{exe} is missing: install the project (pip install -e .)"
    env = {**os.environ, **display,
           "PATENT_DESK_HOME": str(data_home), "PATENT_DESK_SCRIPT": str(script)}
    done = subprocess.run([str(exe), "--workspace", "office"], env=env, capture_output=True,
                          text=True, timeout=1500, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr

    seen = json.loads(state.read_text(encoding="utf-8"))
    assert seen["title"] == "Patent Desk — office"
    assert seen["tabs"][:2] == ["Ask", "Library"] and seen["current_tab"] == "Ask"
    assert seen["library_count"] == "725 entries" and seen["library_rows"] == 725
    assert "新型專利技術報告" in seen["answer"]
    assert seen["status"].startswith("Answered by:")
    assert seen["workspaces"] == ["office"]
    for shot in shots.values():
        image = QImage(str(shot))
        assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
        assert len({image.pixel(x, y) for x in range(0, image.width(), 37)
                    for y in range(0, image.height(), 37)}) > 5  # drawn, not a blank frame
    log = data_home / "logs" / "patent-desk.log"
    assert "script: quit" in log.read_text(encoding="utf-8")
