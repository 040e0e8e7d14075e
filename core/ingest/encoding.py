"""Detecting the text encoding of a spreadsheet export: UTF-8/16 (with or without BOM),
Big5/CP950 and GB18030, the encodings Taiwanese and mainland offices actually produce.

charset-normalizer alone confuses CP950 with Big5 and gives up on long GB18030 files, so
the Chinese candidates are decided here by plausibility: real text is mostly made of the
common characters of either script (Big5 level 1, GB2312 level 1), while a wrong decoding
yields rare ones. charset-normalizer remains the fallback for everything else.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

import charset_normalizer

from core.errors import InputError

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_CJK_CANDIDATES = ("cp950", "gb18030")
_EXCLUDED = (
    "big5", "big5hkscs", "cp950", "gb2312", "gbk", "gb18030", "hz", "euc_jp", "shift_jis",
    "cp932", "euc_jis_2004", "euc_jisx0213", "shift_jis_2004", "shift_jisx0213", "euc_kr",
    "cp949", "johab", "iso2022_jp", "iso2022_kr",
)


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    chars: set[str] = set()
    for lead in range(0xA4, 0xC7):  # Big5 level 1: frequently used Traditional characters
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                chars.add(bytes([lead, trail]).decode("big5"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xB0, 0xD8):  # GB2312 level 1: frequently used Simplified characters
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _plausibility(text: str) -> float:
    """Share of non-ASCII letters that are common CJK characters (1.0 = all common)."""
    common = _common_chars()
    wide = [c for c in text if ord(c) > 0x2FFF and c.isalpha()]
    if not wide:
        return 0.0
    return sum(1 for c in wide if c in common) / len(wide)


def _readable(text: str) -> float:
    """Share of characters that are printable ASCII, whitespace, CJK punctuation or common CJK."""
    if not text:
        return 0.0
    common = _common_chars()
    good = sum(
        1
        for c in text
        if (" " <= c <= "~") or c in "\r\n\t" or c in common or 0x3000 <= ord(c) <= 0x303F
        or 0xFF00 <= ord(c) <= 0xFFEF
    )
    return good / len(text)


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a BOM: NUL bytes are the tell; pick the byte order that reads."""
    best: tuple[float, str, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _readable(text[:20000])
        if best is None or score > best[0]:
            best = (score, encoding, text)
    if best and best[0] >= 0.8:
        return best[2], best[1]
    return None


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, encoding name) or raise InputError naming the file. `encoding`: the
    user's choice, used instead of detection (for the rare file detection gets wrong)."""
    if encoding:
        return _decode_as(data, name, encoding), encoding
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding
            except UnicodeDecodeError:
                break
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16:
            return utf16
        raise InputError(
            f"{name}: this is not a text spreadsheet (it contains binary data); "
            "export it as CSV, TSV, XLSX or JSONL"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    scored = []
    for encoding in _CJK_CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        scored.append((_plausibility(text), encoding, text))
    if scored:
        score, encoding, text = max(scored)
        if score >= 0.6:
            return text, encoding
    # Not Chinese: let charset-normalizer choose among the other (mostly Western) encodings.
    best = charset_normalizer.from_bytes(data, cp_exclusion=list(_EXCLUDED)).best()
    if best is None or best.encoding is None:
        raise InputError(
            f"{name}: cannot tell which text encoding this file uses; save it as UTF-8 and retry"
        )
    return str(best), best.encoding


def _decode_as(data: bytes, name: str, encoding: str) -> str:
    try:
        return data.decode(encoding).lstrip("\ufeff")
    except LookupError:
        raise InputError(f"{name}: unknown text encoding {encoding!r}; choose another") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: cannot be read as {encoding} (byte {exc.start}); choose "
                         "another encoding or let it be detected") from None
