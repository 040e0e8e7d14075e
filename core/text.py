"""Text normalisation and the lexical tokens shared by the index and the queries.

Chinese has no spaces, so the full-text index stores pre-computed tokens: overlapping
character bigrams for CJK runs (the classic strong baseline for Chinese retrieval) and words
for Latin and digit runs. Both sides are folded the same way: NFKC (full/half width),
lower case, and Traditional -> Simplified via OpenCC so a Simplified query finds a
Traditional item and vice versa.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import opencc

# The one definition of "CJK character" (extension A, the unified block, compatibility forms).
CJK_RANGES = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# The same with the supplementary planes (extension B onwards): too rare to matter for search
# and language detection, but a vocabulary lacks them as surely (core.models.vocab).
CJK_RANGES_WIDE = CJK_RANGES + r"\U00020000-\U0003ffff"
CJK_CHAR_RE = re.compile(rf"[{CJK_RANGES}]")
CJK_RUN_RE = re.compile(rf"[{CJK_RANGES}]+")
_RUN_RE = re.compile(rf"[{CJK_RANGES}]+|[0-9a-z]+")
_UNIT_RE = re.compile(rf"[{CJK_RANGES}]|[^\W{CJK_RANGES}]+")
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2twp")


def clean(text: str) -> str:
    """Trim and collapse whitespace: the form items are stored and compared in."""
    return _SPACE_RE.sub(" ", text.replace("\u3000", " ")).strip()


def fold(text: str) -> str:
    """The search form of a text: NFKC width folding, lower case, Simplified characters."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _to_simplified().convert(text)


@lru_cache(maxsize=1)
def _to_taiwan_characters() -> opencc.OpenCC:
    return opencc.OpenCC("s2tw")


def traditional_script(question: str) -> Callable[[str], str]:
    """How to write text for the asker of `question`: OpenCC s2tw (characters only; s2twp
    would also swap vocabulary, 程序 -> 程式) when the question is Traditional Chinese, since
    small models slip Simplified characters in (后, 该, 咨询) that no zh-TW user types; the
    identity otherwise."""
    if language_of(question) != "zh":
        return str
    convert = _to_taiwan_characters().convert
    return convert if convert(question) == question else str


def to_traditional(text: str) -> str:
    return _to_traditional().convert(text)


def to_simplified(text: str) -> str:
    return _to_simplified().convert(text)


def cjk_ratio(text: str) -> float:
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if CJK_CHAR_RE.match(c)) / len(letters)


def language_of(text: str) -> str:
    """'zh' when the text is mostly CJK, else 'en' (the two languages we ship prompts for)."""
    return "zh" if cjk_ratio(text) >= 0.3 else "en"


def units(text: str) -> list[str]:
    """The text's units in order: one CJK character, or one Latin/digit word."""
    return _UNIT_RE.findall(text)


def char_tokens(text: str) -> list[str]:
    """Character bigrams for CJK runs (a lone character stays a unigram), words otherwise."""
    return [token for run in token_runs(text) for token in run]


def token_runs(text: str) -> list[list[str]]:
    """The tokens of char_tokens grouped by run: a CJK run's bigrams in order (a phrase
    search over them finds the run as a substring), or one Latin/digit word."""
    out: list[list[str]] = []
    for run in _RUN_RE.findall(fold(text)):
        if CJK_CHAR_RE.match(run[0]) and len(run) > 1:
            out.append([run[i : i + 2] for i in range(len(run) - 1)])
        else:
            out.append([run])
    return out
