"""Chinese that reads on a system without a CJK font.

The zh-TW interface and every imported FAQ are Traditional Chinese. A Linux desktop without
a CJK font (`fc-list :lang=zh` empty: a fresh Debian, a minimal image) draws each Han
character as an empty box. The PyPI package cvttf-notosanscjk-regular carries Noto Sans CJK
TC (SIL Open Font License 1.1); when the system cannot draw the sample below, the app
registers that file and puts its family after the interface font's, so Latin text keeps the
system's font and Han characters fall back to Noto. A system that has a CJK font keeps it.

The file's sha256 is pinned: a damaged or replaced file is logged (one line) and skipped,
and the app carries on with the boxes rather than failing to start.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QGuiApplication, QTextLayout

log = logging.getLogger("patent_desk.desktop")

FONT_DISTRIBUTION = "cvttf-notosanscjk-regular"
FONT_MODULE = "cvttf_NotoSansCJK_Regular"
FONT_FILE = "NotoSansCJKtc-Regular.otf"
FONT_SHA256 = "f57e46120a3dd025ac993801981849622405d1359b32093b1f046490f7885711"
SAMPLE = "專利問答檢索"  # words of the zh-TW interface: all must have real glyphs


def draws(font: QFont, text: str = SAMPLE) -> bool:
    """Whether `font`, with the fallbacks the platform adds (fontconfig on Linux), has a real
    glyph for every character of `text`. Lays the text out the way a label does: each glyph
    run names the font it came from; glyph 0 (.notdef) is the box, and a run from a "font"
    without a character map is Qt's box engine (its stand-in when no font has the character,
    or when the system has no fonts at all), whose glyph numbers are not 0."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    drawn = 0
    for run in layout.glyphRuns():
        indexes = list(run.glyphIndexes())
        raw = run.rawFont()
        if not raw.isValid() or raw.fontTable("cmap").isEmpty() or 0 in indexes:
            return False
        drawn += len(indexes)
    return drawn >= len(text)


def bundled_font() -> Path | None:
    """The font file of the installed package, found without importing it (its __init__ has
    nothing we need); None when the package is not installed."""
    from core.errors import ModelError
    from core.models.registry import package_dir

    try:
        return package_dir(FONT_DISTRIBUTION, FONT_MODULE) / FONT_FILE
    except ModelError:
        return None


def _intact(path: Path) -> bool:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == FONT_SHA256


def ensure_cjk_font(app: QGuiApplication, path: Path | None = None) -> str | None:
    """Make Traditional Chinese readable: when the application font (with the system's
    fallbacks) cannot draw SAMPLE, register the bundled Noto Sans CJK TC (or `path`) and
    make it the application font's fallback. Returns the family added, or None when nothing
    was added (the system draws Chinese, or the file is missing or damaged: logged). Never
    raises: a font problem must not keep the window from opening."""
    try:
        if draws(app.font()):
            return None
        path = path or bundled_font()
        if path is None or not path.is_file():
            log.warning("no font on this system draws Chinese and the bundled one is missing "
                        "(%s; pip install %s); Chinese text shows as boxes",
                        path or "not installed", FONT_DISTRIBUTION)
            return None
        if not _intact(path):
            log.warning("the bundled CJK font %s is damaged (sha256 differs); not used, "
                        "Chinese text shows as boxes (reinstall %s)", path, FONT_DISTRIBUTION)
            return None
        font_id = QFontDatabase.addApplicationFont(str(path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.warning("Qt could not load the bundled CJK font %s; Chinese text shows as "
                        "boxes", path)
            return None
        family = families[0]
        font = app.font()
        # The family Qt really uses, not an alias such as "Sans Serif": an alias that is no
        # real family would be skipped and Noto would draw the Latin text too.
        primary = QFontInfo(font).family()
        font.setFamilies([name for name in (primary, family) if name])
        app.setFont(font)
        if primary and primary != family:  # a font made with that family by name, too
            QFont.insertSubstitution(primary, family)
        log.info("no system font draws Chinese: using the bundled %s", family)
        return family
    except Exception as exc:  # noqa: BLE001 - a font must never stop the app
        log.warning("could not set up the bundled CJK font (%s: %s)", type(exc).__name__, exc)
        return None
