"""Chinese stays readable without a system CJK font (desktop/fonts.py).

Each test runs Qt in a subprocess whose fontconfig sees only the fonts the test gives it
(FONTCONFIG_FILE: a fonts.conf with its own <dir> and cache; QT_QPA_FONTDIR too, for Qt's
plain FreeType database): the offscreen platform on Linux finds its fonts through
fontconfig, so this is a system without any font at all, or with only a CJK one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""

# Draws 專 and 利 apart and together, before and after ensure_cjk_font, and the bundled
# font's .notdef glyph (the box a font draws for a character it lacks), as bare pixels.
RENDER = r"""
import json, logging, sys
from pathlib import Path
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QGlyphRun, QImage, QPainter, QRawFont
from PySide6.QtWidgets import QApplication
from desktop.fonts import bundled_font, draws, ensure_cjk_font

records = []
handler = logging.Handler()
handler.emit = lambda record: records.append(record.getMessage())
logging.getLogger("patent_desk").addHandler(handler)
logging.getLogger("patent_desk").setLevel(logging.INFO)
app = QApplication([])

def pixels(draw):
    image = QImage(160, 80, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QColor("black"))
    draw(painter)
    painter.end()
    return bytes(image.constBits())

def text(value):
    def draw(painter):
        font = QFont(app.font())
        font.setPixelSize(48)
        painter.setFont(font)
        painter.drawText(QRect(0, 0, 160, 80), Qt.AlignmentFlag.AlignCenter, value)
    return pixels(draw)

def notdef():
    raw = QRawFont(str(bundled_font()), 48)
    run = QGlyphRun()
    run.setRawFont(raw)
    run.setGlyphIndexes([0, 0])
    run.setPositions([QPointF(30, 60), QPointF(80, 60)])
    return pixels(lambda painter: painter.drawGlyphRun(QPointF(0, 0), run))

result = {"before": {"draws": draws(app.font()), "text": text("專利").hex()}}
for bad in sys.argv[1:]:
    result.setdefault("bad", []).append(ensure_cjk_font(app, Path(bad)))
family = ensure_cjk_font(app)
raw = QRawFont.fromFont(QFont(family)) if family else QRawFont()
result.update(
    family=family, app_families=app.font().families(), draws=draws(app.font()),
    indexes=list(raw.glyphIndexesForString("專利")) if raw.isValid() else [],
    text=text("專利").hex(), one=text("專").hex(), other=text("利").hex(),
    notdef=notdef().hex(), log=records)
print(json.dumps(result))
"""


def run_qt(tmp_path: Path, fonts: Path | None = None, *bad_fonts: Path) -> dict:
    """RENDER in a fresh process that sees only the fonts in `fonts` (none when None)."""
    font_dir = fonts or tmp_path / "no-fonts"
    font_dir.mkdir(exist_ok=True)
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=font_dir, cache=tmp_path / "fc-cache"), "utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FONTCONFIG_FILE": str(conf),
           "QT_QPA_FONTDIR": str(font_dir), "PYTHONPATH": str(ROOT),
           "PATENT_DESK_HOME": str(tmp_path / "home")}
    env.pop("FONTCONFIG_PATH", None)
    done = subprocess.run([sys.executable, "-c", RENDER, *map(str, bad_fonts)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def ink(hex_pixels: str) -> int:
    return sum(1 for value in bytes.fromhex(hex_pixels) if value < 128)


def test_chinese_is_drawn_with_every_system_font_hidden(tmp_path: Path):
    seen = run_qt(tmp_path)
    assert seen["before"]["draws"] is False  # the test bed: nothing here draws 專利
    assert seen["family"] == "Noto Sans CJK TC"
    assert "Noto Sans CJK TC" in seen["app_families"]
    assert seen["draws"] is True
    assert len(seen["indexes"]) == 2 and 0 not in seen["indexes"]  # real glyphs, not .notdef
    # The pixels: ink, two different characters (boxes look alike), and neither what was
    # drawn before the fallback nor the font's own missing-glyph box.
    assert ink(seen["text"]) > 300
    assert seen["one"] != seen["other"] and ink(seen["one"]) > 100 and ink(seen["other"]) > 100
    assert seen["text"] != seen["before"]["text"]
    assert seen["text"] != seen["notdef"]
    assert any("using the bundled Noto Sans CJK TC" in line for line in seen["log"])


def test_a_damaged_or_missing_font_file_is_logged_and_skipped(tmp_path: Path):
    from desktop.fonts import bundled_font

    font = bundled_font()
    assert font is not None, "pip install cvttf-notosanscjk-regular (a dependency)"
    truncated = tmp_path / "truncated.otf"  # an interrupted download: the right start
    truncated.write_bytes(font.read_bytes()[: 1 << 20])
    seen = run_qt(tmp_path, None, truncated, tmp_path / "gone.otf")
    assert seen["bad"] == [None, None]  # no crash, nothing registered
    damaged, gone = seen["log"][:2]  # one line each, naming the file
    assert f"{truncated} is damaged (sha256 differs)" in damaged and "\n" not in damaged
    assert "the bundled one is missing" in gone and "gone.otf" in gone and "\n" not in gone
    assert seen["family"] == "Noto Sans CJK TC"  # the intact file still works afterwards


def test_a_system_cjk_font_is_kept(tmp_path: Path):
    from desktop.fonts import bundled_font

    font = bundled_font()
    assert font is not None, "pip install cvttf-notosanscjk-regular (a dependency)"
    system = tmp_path / "system-fonts"
    system.mkdir()
    shutil.copy(font, system / "SystemCJK.otf")  # a system that has a CJK font installed
    seen = run_qt(tmp_path, system)
    assert seen["before"]["draws"] is True
    assert seen["family"] is None  # nothing registered: the system's font draws Chinese
    assert not any("bundled" in line for line in seen["log"])
    assert seen["draws"] is True and ink(seen["text"]) > 300
