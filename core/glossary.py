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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core import paths
from core.errors import PatentDeskError
from core.text import CJK_RUN_RE, fold, language_of

_WORD_RE = re.compile(r"[a-z0-9]+")
_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}[a-z]?\b", re.ASCII)  # PPH, AEPs
_NUMBER_RE = re.compile(r"\b\w*\d\w*\b", re.ASCII)  # 2, 2024, A01B
_POSSESSIVE_RE = re.compile(r"(?<=\w)['\u2019]s\b")
_LONGEST = 5  # words in the longest English phrase matched
# Words that carry no topic: a question is judged by how many of its other words are known.
_STOP = frozenset("""a about after am an and any are as at be been before being but by can
could did do does doe for from had has have how i if in into is it its me my no not of on or
our should so than that the their them then there these they this those to us was we were
what when which who whom why will with would you your yes get got want need please""".split())


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
    text = _POSSESSIVE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()
    return tuple(lemma(w) for w in _WORD_RE.findall(text))


@dataclass(frozen=True)
class Translation:
    text: str  # what both channels search for
    known: float  # share of the question's topic words the glossary knew (1.0: all)


@dataclass
class Glossary:
    """English phrase (as lemmas) -> Chinese terms, and Chinese term -> English phrases."""

    to_chinese: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    to_english: dict[str, list[str]] = field(default_factory=dict)
    _longest_first: list[str] | None = None

    def add(self, chinese: str, english: Iterable[str]) -> None:
        for phrase in english:
            words = english_words(phrase)
            if words and chinese not in self.to_chinese.setdefault(words, []):
                self.to_chinese[words].append(chinese)
        self.to_english.setdefault(fold(chinese), []).extend(
            e.strip() for e in english if e.strip())
        self._longest_first = None

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

    def chinese_terms(self, text: str) -> tuple[list[str], float]:
        """Chinese terms for the English phrases in `text` (longest phrases first), and the
        share of its topic words (not stop words) they covered."""
        words = english_words(text)
        out: list[str] = []
        covered: set[int] = set()
        start = 0
        while start < len(words):
            for size in range(min(_LONGEST, len(words) - start), 0, -1):
                terms = self.to_chinese.get(words[start : start + size])
                if terms:
                    out += [t for t in terms if t not in out]
                    covered.update(range(start, start + size))
                    start += size
                    break
            else:
                start += 1
        topic = [n for n, w in enumerate(words) if w not in _STOP]
        known = sum(1 for n in topic if n in covered) / len(topic) if topic else 1.0
        return out, known

    def english_terms(self, text: str) -> list[str]:
        """English phrases for the Chinese terms in `text`, longest terms first."""
        if self._longest_first is None:
            self._longest_first = sorted(self.to_english, key=len, reverse=True)
        folded = fold(text)
        out: list[str] = []
        for term in self._longest_first:
            if term in folded:
                folded = folded.replace(term, " ")
                out += [e for e in self.to_english[term][:2] if e not in out]
        return out

    def translate(self, query: str, languages: Sequence[str]) -> Translation | None:
        """The query as a workspace in `languages` (main language first) would word it: the
        glossary's terms for its phrases, the parts already in the workspace's language and
        its acronyms and numbers. None when no translation is needed or none is known.

        The question's own words in the other language are left out (matched against an
        item's stray Latin words they outrank the translated terms), unless the workspace
        holds entries in both languages: then the question is searched as typed as well."""
        query = unicodedata.normalize("NFKC", query)
        # A whole question in capitals is words, not acronyms ("WHAT IS THE ANNUAL FEE").
        shouting = not any(c.islower() for c in query) and len(_WORD_RE.findall(
            query.lower())) >= 3
        neutral = _NUMBER_RE.findall(query) + ([] if shouting else _ACRONYM_RE.findall(query))
        rest = _NUMBER_RE.sub(" ", query if shouting else _ACRONYM_RE.sub(" ", query))
        if not any(c.isalnum() for c in rest):
            return None  # only acronyms and numbers: the same in every language
        asked = language_of(rest)
        if asked == languages[0] and len(languages) == 1:
            return None
        target = "en" if asked == "zh" else "zh"
        if target not in languages:
            return None
        if target == "zh":
            terms, known = self.chinese_terms(rest)
            kept = CJK_RUN_RE.findall(rest)  # Chinese already in the question
        else:
            terms, known = self.english_terms(rest), 1.0
            kept = _WORD_RE.findall(CJK_RUN_RE.sub(" ", rest.lower()))
        if not terms:
            return None
        parts = [query] if asked in languages else []
        parts += terms + [k for k in kept if k not in terms] + [t for t in neutral
                                                                 if t not in terms]
        return Translation(" ".join(dict.fromkeys(parts)), 1.0 if asked in languages else known)


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
