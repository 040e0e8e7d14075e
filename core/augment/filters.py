"""Turning raw LLM replies into usable synthetic queries, and rejecting the bad ones.

Small local models rarely follow a format: they number lines in whatever style they like,
wrap the list in JSON or a code fence, add "Here are 3 queries:" and explain each line.
`parse_llm_output` accepts all of that so that no prompt needs a strict format.

`filter_queries` then drops what would hurt the retriever when used as a training pair:
copies of the original question teach nothing, near-duplicates over-weight one item,
text in the wrong script or looping text is noise, and over-long output is usually an
answer rather than a question. Every drop is counted by reason so the caller can report
and tune the prompts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.text import cjk_ratio, clean

REASONS = ("empty", "copy", "wrong_script", "too_short", "too_long", "degenerate",
           "near_duplicate")
NEAR_DUPLICATE = 0.85

_FENCE = re.compile(r"```[A-Za-z]*\s*\n?(.*?)(?:```|$)", re.S)
_NUMERAL = r"(?:[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3})"
_ENUMERATOR = re.compile(
    rf"^(?:[(（\[]\s*{_NUMERAL}\s*[)）\]]"        # (1)  （一）  [1]
    rf"|[0-9０-９]{{1,3}}\s*[.．、)）:：](?![0-9])"    # 1.  1)  １．  1、
    rf"|[一二三四五六七八九十]{{1,3}}\s*[、．.:：]"   # 一、
    r"|[①-⑳]"                                     # ①
    r"|[A-Za-z][.)](?=\s))\s*")                    # a)  b.
_BULLET = re.compile(r"^[-*•・·‧▪●○◦–—+>]+\s*")
_LABEL = re.compile(rf"^(?:query|question|q|問題|查詢|問句|提問|關鍵字|关键词)\s*{_NUMERAL}?"
                    r"\s*[:：]\s*", re.I)
_LEAD_IN = re.compile(
    r"^(?:here(?:'s| are| is)\b|sure\b|certainly\b|of course\b|okay\b|ok\b|i hope\b|note\b"
    r"|these (?:are|queries|questions|keywords)\b|以下(?:是|為|为)|好的[，,!！。]|當然[，,!！。]"
    r"|当然[，,!！。]|(?:這|这)些(?:問|问|查|關|关)|希望(?:這|这|以上|對|对)"
    r"|(?:說明|说明|注意|備註|备注|註|注)\s*[:：]"
    r"|(?:answer|a|答|答案|解答|回答|role|角色)\s*[:：])", re.I)  # answers, role echoes
_QUOTES = {"「": "」", "『": "』", "“": "”", '"': '"', "'": "'", "‘": "’", "《": "》"}
_EXPLAINED = re.compile(
    r"\s+[-–—]{1,2}\s+(?=(?:this|that|it|which|asks|focus|here|the user|a user|user|for|to"
    r"|as|because|keyword|typo|fact|concept|web|explanation|note)\b)", re.I)
_ZH_EXPLAINED = re.compile(r"\s*(?:——|--|—)\s*(?=這|这|此|針對|针对|說明|说明|關鍵|关键|錯字|错字)")
_TRAILING_NOTE = re.compile(
    r"\s*[(（](?:說明|说明|解釋|解释|註|注|備註|备注|此|這|这|針對|针对|關鍵字|錯字|错字"
    r"|explanation|note|this|keyword|typo|fact|concept|web)[^()（）]*[)）]\s*$", re.I)
_ASKED_THEN_NOTE = re.compile(r"(?<=[?？])\s*[(（][^()（）]*[)）]\s*$")
_JSON_LEFTOVER = re.compile(r'^\[\s*"|"\s*[,\]]+$')
_STRING_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"(\s*:)?')  # group 2: it is a key
_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.U)


# -- parsing -------------------------------------------------------------------------------
def parse_llm_output(text: str) -> list[str]:
    """Candidate queries in reply order; commentary lines and decorations are removed."""
    from_json = _parse_json(text)
    if from_json is not None:
        return [q for q in (_tidy(s) for s in from_json) if q]
    out: list[str] = []
    for line in text.splitlines():
        line = clean(line)
        if not line or line.startswith("```"):
            continue
        query = _tidy(_strip_prefixes(line))
        if any(c.isalnum() for c in query) and not _is_commentary(query):
            out.append(query)
    return out


def _parse_json(text: str) -> list[str] | None:
    """The strings of a JSON array (or of the first array inside a JSON object), if any."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("["), body.rfind("]")
    if start < 0 or end <= start:
        return _truncated_array(body)
    candidates = [body[start: end + 1]]
    brace_start, brace_end = body.find("{"), body.rfind("}")
    if 0 <= brace_start < start and brace_end > end:
        candidates.insert(0, body[brace_start: brace_end + 1])
    for chunk in candidates:
        try:
            value = json.loads(chunk)
        except ValueError:
            continue
        if isinstance(value, dict):
            value = next((v for v in value.values() if isinstance(v, list)), None)
        strings = [_json_string(v) for v in value or []] if isinstance(value, list) else []
        strings = [s for s in strings if s]
        if strings:
            return strings
    return _truncated_array(body)


def _truncated_array(body: str) -> list[str] | None:
    """The string literals of an array cut off by the token limit (no closing bracket)."""
    if not re.match(r'\s*\[\s*["{]', body):
        return None
    strings = []
    for literal, key in _STRING_LITERAL.findall(body):
        if key:
            continue
        try:
            strings.append(json.loads(f'"{literal}"'))
        except ValueError:
            strings.append(literal)
    return strings or None


def _json_string(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("query", "question", "text", "q"):
            if isinstance(value.get(key), str):
                return value[key]
        return next((v for v in value.values() if isinstance(v, str)), "")
    return ""


def _strip_prefixes(line: str) -> str:
    """Bullets, enumerators, markdown emphasis and 'Query 1:' labels, in any combination."""
    previous = None
    while previous != line:
        previous = line
        line = line.strip().strip("*").strip()
        line = _BULLET.sub("", line)
        line = _ENUMERATOR.sub("", line)
        line = _LABEL.sub("", line) if not _LABEL.fullmatch(line) else line
    return line


def _tidy(text: str) -> str:
    """One query without JSON leftovers, surrounding quotes or a trailing explanation."""
    text = clean(text)
    if _JSON_LEFTOVER.search(text):
        text = text.lstrip("[ ").rstrip(",] ")
    for pattern in (_EXPLAINED, _ZH_EXPLAINED):
        text = pattern.split(text, maxsplit=1)[0]
    text = _ASKED_THEN_NOTE.sub("", _TRAILING_NOTE.sub("", text))
    text = _unquote(text.strip().strip("*").strip())
    return clean(text)


def _unquote(text: str) -> str:
    """Remove one pair of surrounding quotes; a quoted query followed by a remark keeps the
    quoted part only."""
    if len(text) >= 2 and text[0] in _QUOTES:
        close = text.find(_QUOTES[text[0]], 1)
        if close == len(text) - 1 or (close > 1 and _is_remark(text[close + 1:])):
            return text[1:close].strip()
    return text


def _is_remark(rest: str) -> bool:
    rest = rest.strip()
    return bool(rest) and (rest[0] in "-–—(（:：,，" or rest.lower().startswith(("this", "which")))


def _is_commentary(line: str) -> bool:
    return line.endswith((":", "：")) or bool(_LEAD_IN.match(line))


# -- filtering -----------------------------------------------------------------------------
@dataclass
class FilterReport:
    """What survived, and how many candidates were dropped for each reason."""

    kept: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def normalise(text: str) -> str:
    """The comparison form: NFKC, case-folded, punctuation removed, single spaces."""
    text = unicodedata.normalize("NFKC", clean(text)).casefold()
    return clean(_PUNCT_OR_SPACE.sub(" ", text))


def bigram_jaccard(a: str, b: str) -> float:
    """Character-bigram Jaccard similarity of two normalised texts (1.0 when identical)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


def _bigrams(text: str) -> set[str]:
    text = normalise(text)
    return {text[i: i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text} - {""}


def is_degenerate(text: str) -> bool:
    """Looping or padded output, the typical failure of small models at high temperature.

    Distinct-unit ratio counts characters for CJK text but words for Latin text: with only
    26 letters, any long English sentence has few distinct characters."""
    squeezed = re.sub(r"\s+", "", text)
    if re.search(r"([^\d\s])\1{4,}", squeezed) or any(
            any(c.isalpha() for c in m.group(1))
            for m in re.finditer(r"(.{3,}?)\1\1", squeezed)):
        return True
    if len(squeezed) < 10:
        return False
    units = list(squeezed) if cjk_ratio(text) >= 0.3 else normalise(text).split()
    return len(units) >= 4 and len(set(units)) / len(units) < 0.4


def filter_queries(candidates: Iterable[str], original_question: str, language: str,
                   existing: Iterable[str] = (), max_ratio: float = 3.0) -> FilterReport:
    """Keep the candidates worth training on. Checks run in the order of REASONS and the
    first failing one is counted, so each candidate is counted exactly once."""
    report = FilterReport()
    original_key = normalise(original_question)
    limit = max_ratio * len(clean(original_question)) + 20
    compare = [original_question, *existing]
    min_length = 2 if language.startswith("zh") else 3
    for candidate in candidates:
        text = clean(candidate)
        key = normalise(text)
        if not key:
            reason = "empty"
        elif key.replace(" ", "") == original_key.replace(" ", ""):
            reason = "copy"
        elif _wrong_script(text, language):
            reason = "wrong_script"
        elif len(key.replace(" ", "")) < min_length:
            reason = "too_short"
        elif len(text) > limit:
            reason = "too_long"
        elif is_degenerate(text):
            reason = "degenerate"
        elif any(bigram_jaccard(text, other) >= NEAR_DUPLICATE
                 for other in (*compare, *report.kept)):
            reason = "near_duplicate"
        else:
            report.kept.append(text)
            continue
        report.dropped[reason] += 1
    return report


def _wrong_script(text: str, language: str) -> bool:
    ratio = cjk_ratio(text)
    return ratio < 0.3 if language.startswith("zh") else ratio > 0.3
