"""Citations checked against what a generated answer actually says.

Small models copy the right source and number it wrongly: on 20 demo questions,
Qwen2.5-0.5B wrote source [1]'s text nearly word for word under 「根據[2]」 in 6 answers
(docs/benchmarks/llm_choice.json, ROUGE-L up to 0.97 against [1]). A citation is a promise
that the sentence comes from that source, so each marker is checked:
- a sentence whose words come mostly from one source, but cites another that it hardly
  shares words with, has its marker re-pointed to the source it quotes;
- an answer that quotes a source it never cites, and cites none that is nearly as close,
  gets that source's marker after the sentence that quotes it most.
Everything else is left as the model wrote it: a sentence too short to judge, one that
paraphrases, or one whose cited source is as close as any other. Words are compared as
core.text.char_tokens gives them (CJK character bigrams, Latin words).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.text import char_tokens

QUOTES = 0.6  # share of a sentence's tokens found in a source for it to count as quoted
MARGIN = 0.25  # how much closer that source must be than the cited one
MIN_TOKENS = 6  # shorter sentences ("可以。[1]") cannot be judged
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*\n?|\n")
_MARK = re.compile(r"\[(\d{1,2})\]")


def _cover(tokens: set[str], source: set[str]) -> float:
    return len(tokens & source) / len(tokens) if tokens else 0.0


def _tokens(text: str) -> set[str]:
    return set(char_tokens(_MARK.sub(" ", text)))


def attribute(text: str, sources: Sequence[str]) -> tuple[str, int]:
    """`text` with its [n] markers checked against `sources` (source n is sources[n - 1],
    every marker already naming one of them), and how many markers were changed or added."""
    known = [_tokens(s) for s in sources]
    if not known:
        return text, 0
    changed = 0
    sentences = _SENTENCE.findall(text)
    for i, sentence in enumerate(sentences):
        tokens = _tokens(sentence)
        cited = [int(n) for n in _MARK.findall(sentence)]
        if not cited or len(tokens) < MIN_TOKENS:
            continue
        covers = [_cover(tokens, s) for s in known]
        best = max(range(len(known)), key=covers.__getitem__) + 1
        if covers[best - 1] < QUOTES:
            continue
        for n in dict.fromkeys(cited):
            if n != best and covers[n - 1] <= covers[best - 1] - MARGIN:
                sentence = sentence.replace(f"[{n}]", f"[{best}]")
                changed += 1
        sentences[i] = sentence
    changed += _cite_quoted(sentences, known)
    return "".join(sentences), changed


def _cite_quoted(sentences: list[str], known: list[set[str]]) -> int:
    """Add the marker of a source the answer quotes but never cites (in place)."""
    whole = _tokens("".join(sentences))
    if len(whole) < MIN_TOKENS:
        return 0
    cited = {int(n) for s in sentences for n in _MARK.findall(s)}
    covers = [_cover(whole, s) for s in known]
    best = max(range(len(known)), key=covers.__getitem__) + 1
    if covers[best - 1] < QUOTES or any(covers[n - 1] > covers[best - 1] - MARGIN
                                         for n in cited):
        return 0  # it cites a source that holds the text about as well
    tokens = [_tokens(s) for s in sentences]
    _score, at = max((_cover(t, known[best - 1]) if len(t) >= MIN_TOKENS else 0.0, i)
                     for i, t in enumerate(tokens))
    body = sentences[at].rstrip("\n")
    sentences[at] = f"{body}[{best}]" + sentences[at][len(body):]
    return 1
