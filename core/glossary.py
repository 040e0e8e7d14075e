"""A bilingual term glossary: search a Chinese workspace with an English question.

Foreign clients write in English to agencies whose knowledge base is Chinese. Neither the
character-bigram index nor the bundled English encoder can match "annual fee" to 年費, so
both channels search for the glossary's Chinese terms for the English phrases the question
holds, plus its acronyms and numbers (and the reverse for a Chinese question on an English
workspace). The bundled glossary (resources/glossary/ip_terms.tsv) covers the TIPO corpus'
frequent terms; an agency adds its own in `<data home>/glossary.tsv` (one
`Chinese term<TAB>english|terms` a line).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core import paths
from core.errors import PatentDeskError
from core.text import fold

_WORD_RE = re.compile(r"[a-z0-9]+")
_NEUTRAL_RE = re.compile(r"\b[A-Z]{2,}[a-z]?\b|\b\w*\d\w*\b", re.ASCII)  # PPH, AEPs, 2, A01B
_LONGEST = 5  # words in the longest English phrase matched


def lemma(word: str) -> str:
    """A crude English stem so 'fees', 'fee' and 'fee's' meet: enough for glossary lookup."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def english_words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).lower().replace("'s", "")
    return tuple(lemma(w) for w in _WORD_RE.findall(text))


@dataclass
class Glossary:
    """English phrase (as lemmas) -> Chinese terms, and Chinese term -> English phrases."""

    to_chinese: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    to_english: dict[str, list[str]] = field(default_factory=dict)

    def add(self, chinese: str, english: Iterable[str]) -> None:
        for phrase in english:
            words = english_words(phrase)
            if words and chinese not in self.to_chinese.setdefault(words, []):
                self.to_chinese[words].append(chinese)
        self.to_english.setdefault(fold(chinese), []).extend(
            e.strip() for e in english if e.strip())

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Glossary:
        glossary = cls()
        for path in paths:
            if path.is_file():
                glossary.read(path)
        return glossary

    def read(self, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise PatentDeskError(f"{path}: cannot read the glossary ({exc}); save it as "
                                  "UTF-8 text or remove it") from None
        entries = []  # all lines are checked before any is used: a file counts whole or not
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            chinese, tab, english = line.partition("\t")
            terms = [e for e in english.split("|") if e.strip()]
            if not tab or not chinese.strip() or not terms:
                raise PatentDeskError(
                    f"{path}, line {number}: expected 'Chinese term<TAB>english|terms'; "
                    "fix or remove the line")
            entries.append((chinese.strip(), terms))
        for chinese, terms in entries:
            self.add(chinese, terms)

    def __len__(self) -> int:
        return len(self.to_english)

    def chinese_terms(self, text: str) -> list[str]:
        """Chinese terms for the English phrases in `text`, longest phrases first."""
        words = english_words(text)
        out: list[str] = []
        start = 0
        while start < len(words):
            for size in range(min(_LONGEST, len(words) - start), 0, -1):
                terms = self.to_chinese.get(words[start : start + size])
                if terms:
                    out += [t for t in terms if t not in out]
                    start += size
                    break
            else:
                start += 1
        return out

    def english_terms(self, text: str) -> list[str]:
        """English phrases for the Chinese terms in `text`, longest terms first."""
        folded = fold(text)
        out: list[str] = []
        for term in sorted(self.to_english, key=len, reverse=True):
            if term in folded:
                folded = folded.replace(term, " ")
                out += [e for e in self.to_english[term][:2] if e not in out]
        return out

    def translate(self, query: str, query_language: str, corpus_language: str) -> str | None:
        """The query as the corpus would word it: the glossary's terms for its phrases plus
        its language-neutral tokens (acronyms such as PPH, numbers, codes); None when the
        languages match or no term is known. The original words are left out on purpose:
        matched against an item's stray Latin words they outrank the translated terms."""
        query = unicodedata.normalize("NFKC", query)
        neutral = _NEUTRAL_RE.findall(query)
        rest = _NEUTRAL_RE.sub("", query)
        if query_language == corpus_language or not any(c.isalnum() for c in rest):
            return None  # nothing to translate: acronyms and numbers are in every language
        terms = (self.chinese_terms(query) if corpus_language == "zh"
                 else self.english_terms(query))
        if not terms:
            return None
        return " ".join(terms + [t for t in neutral if t not in terms])


def load_glossary() -> tuple[Glossary, str | None]:
    """The bundled glossary plus the agency's own `<data home>/glossary.tsv`, if any, and
    what was wrong with the agency's file. A broken line must not stop the agency answering
    clients: its file is left out (whole) and the problem is reported as a warning."""
    glossary = Glossary.load([paths.resource_dir() / "glossary" / "ip_terms.tsv"])
    own = paths.data_home() / "glossary.tsv"
    try:
        if own.is_file():
            glossary.read(own)
    except PatentDeskError as exc:
        return glossary, f"{exc}; until then only the bundled glossary is used"
    return glossary, None
