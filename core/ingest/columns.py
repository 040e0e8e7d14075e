"""Recognising which column holds the question, the answer and the category, by header name
in English and Chinese (Traditional or Simplified), with user overrides."""

from __future__ import annotations

import re

from core.errors import InputError
from core.records import ColumnMapping
from core.text import fold

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "question": (
        "題目", "問題", "問", "提問", "問句", "常見問題", "q", "question", "questions",
        "query", "faq", "title", "標題", "主旨",
    ),
    "answer": (
        "解答", "答案", "回答", "答覆", "答", "說明", "a", "answer", "answers", "response",
        "reply", "內容",
    ),
    "category": (
        "類別", "分類", "類型", "主題", "類", "category", "categories", "type", "topic",
        "section", "group",
    ),
}
_STRIP_RE = re.compile(r"[\s:：_\-()（）\[\]#*]+")


def _key(header: str) -> str:
    return _STRIP_RE.sub("", fold(header))


_LOOKUP = {role: {_key(s) for s in names} for role, names in _SYNONYMS.items()}


def _shown(headers: list[str], most: int = 20, width: int = 40) -> str:
    """Headers for a one-line message: control characters escaped, long ones cut."""
    def one(h: str) -> str:
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in h[:width])
        return (text + "…" if len(h) > width else text) or "(blank)"
    more = f", … ({len(headers) - most} more)" if len(headers) > most else ""
    return ", ".join(one(h) for h in headers[:most]) + more


def _resolve_override(value: str, headers: list[str], file: str, flag: str) -> str:
    if value in headers:
        return value
    wanted = _key(value)
    for header in headers:
        if _key(header) == wanted:
            return header
    if value.isdigit() and 1 <= int(value) <= len(headers):
        return headers[int(value) - 1]
    shown = _shown(headers)
    raise InputError(f"{file}: {flag} {value!r} matches no column; the columns are: {shown}")


def map_columns(
    headers: list[str],
    file: str,
    question: str | None = None,
    answer: str | None = None,
    category: str | None = None,
) -> ColumnMapping:
    """Pick the question/answer/category columns; raise InputError when they cannot be found.
    A role given as None is recognised by header; given as "" it is left unassigned."""
    found: dict[str, str | None] = {"question": None, "answer": None, "category": None}
    overrides = {"question": question, "answer": answer, "category": category}
    flags = {role: f"--{role}-col" for role in found}
    for role, value in overrides.items():
        if value:
            found[role] = _resolve_override(value, headers, file, flags[role])
    for role in found:
        # An empty string is the user's explicit "no such column" (say, no category).
        if found[role] is None and overrides[role] != "":
            taken = {v for v in found.values() if v}
            for header in headers:
                if header not in taken and _key(header) in _LOOKUP[role]:
                    found[role] = header
                    break
    missing = [role for role in ("question", "answer") if not found[role]]
    if missing:
        shown = _shown(headers) or "(none)"
        raise InputError(
            f"{file}: no {' or '.join(missing)} column recognised among: {shown}; "
            "name the header 題目/question and 解答/answer, or pass "
            + " and ".join(flags[m] for m in missing)
        )
    return ColumnMapping(question=found["question"] or "", answer=found["answer"] or "",
                         category=found["category"])
