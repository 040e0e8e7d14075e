"""Rule-based query angles that need no LLM: the ways real users miss the stored wording.

- typo: input-method homophone substitutions (pypinyin), character drops and swaps;
  keyboard-neighbour typos and transpositions for Latin text
- simplified: the Traditional question in Simplified characters (OpenCC), and vice versa
- keyword: two to four keywords, as typed into a search engine (jieba TF-IDF)
- truncated: the start of the question, as people stop typing early
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from core import paths
from core.text import CJK_CHAR_RE, cjk_ratio, clean, to_simplified, to_traditional

_QUESTION_TAIL = re.compile(r"[？?。！!\s]+$")
_KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm".split()
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|(?<=[a-z])\.\s")


def _syllable(char: str) -> str:
    # Imported here: pypinyin loads its dictionaries on import (0.5 s), which every search
    # would pay, and only spelling-error variants need it.
    from pypinyin import Style, lazy_pinyin

    # Most compatibility ideographs (U+F900-FAFF) have no reading: "", not an IndexError.
    return (lazy_pinyin(char, style=Style.NORMAL, errors="ignore") or [""])[0]


@dataclass(frozen=True)
class SyntheticQuery:
    text: str
    angle: str
    item_id: int


class RuleAngles:
    """Generates rule-based variants of questions; homophones come from the corpus itself."""

    def __init__(self, corpus_texts: Iterable[str], seed: int = 13) -> None:
        by_sound: dict[str, set[str]] = defaultdict(set)
        for text in corpus_texts:
            for char in set(CJK_CHAR_RE.findall(text)):
                sound = _syllable(char)
                if sound:
                    by_sound[sound].add(char)
        self.homophones = {c: sorted(group - {c}) for group in by_sound.values() for c in group
                           if len(group) > 1}
        self.rng = random.Random(seed)

    # -- angles -----------------------------------------------------------------------------
    def typo(self, question: str) -> str:
        chars = list(_QUESTION_TAIL.sub("", question))
        if cjk_ratio(question) < 0.3:
            return self._latin_typo("".join(chars))
        spots = [i for i, c in enumerate(chars) if c in self.homophones]
        self.rng.shuffle(spots)
        for i in spots[: max(1, len(chars) // 8)]:
            chars[i] = self.rng.choice(self.homophones[chars[i]])
        if len(chars) > 6 and self.rng.random() < 0.3:
            i = self.rng.randrange(len(chars) - 1)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)

    def _latin_typo(self, text: str) -> str:
        chars = list(text)
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        if not letters:
            return text
        i = self.rng.choice(letters)
        row = next((r for r in _KEYBOARD if chars[i].lower() in r), None)
        if row and self.rng.random() < 0.6:
            j = row.index(chars[i].lower())
            chars[i] = row[max(0, min(len(row) - 1, j + self.rng.choice((-1, 1))))]
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)

    def simplified(self, question: str) -> str:
        converted = to_simplified(question)
        return converted if converted != question else to_traditional(question)

    def keyword(self, question: str) -> str:
        if cjk_ratio(question) < 0.3:
            words = [w for w in re.findall(r"[A-Za-z0-9]{4,}", question)]
            return " ".join(words[:4])
        import jieba  # slow to import: only when keywords are asked for
        import jieba.analyse

        jieba.setLogLevel(60)
        if jieba.dt.tmp_dir is None:  # its default, a fixed name in the shared /tmp
            jieba.dt.tmp_dir = str(paths.cache_dir())
        simple = to_simplified(question)
        tags = jieba.analyse.extract_tags(simple, topK=4)
        # Map each keyword back to the question's own characters (t2s keeps positions).
        if len(simple) == len(question):
            tags = [question[simple.find(t): simple.find(t) + len(t)] if t in simple else t
                    for t in tags]
        return " ".join(tags[: self.rng.choice((2, 3, 4))])

    def truncated(self, question: str) -> str:
        body = _QUESTION_TAIL.sub("", question)
        keep = max(4, int(len(body) * self.rng.uniform(0.5, 0.8)))
        return body[:keep]

    def answer_sentence(self, answer: str) -> str:
        """A sentence of the answer as a pseudo-query (inverse cloze): users often ask for a
        fact that only the answer contains (a fee, a deadline, a form)."""
        sentences = [s.strip() for s in _SENTENCE_END.split(answer)]
        usable = [s for s in sentences if 8 <= len(s) <= 60]
        return self.rng.choice(usable) if usable else ""

    ANGLES = ("typo", "simplified", "keyword", "truncated")
    TRAINING_ANGLES = (*ANGLES, "answer_sentence")

    def generate(self, item_id: int, question: str, angles: Iterable[str] = ANGLES,
                 answer: str = "") -> list[SyntheticQuery]:
        """One query per angle; empties and copies of the question are dropped."""
        out: list[SyntheticQuery] = []
        seen = {clean(question)}
        for angle in angles:
            source = answer if angle == "answer_sentence" else question
            text = clean(getattr(self, angle)(source))
            if len(text) >= 2 and text not in seen:
                seen.add(text)
                out.append(SyntheticQuery(text, angle, item_id))
        return out
