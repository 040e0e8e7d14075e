"""Answers grounded in retrieved entries: `extract` returns the official answer verbatim,
`generate` lets the local LLM write one from numbered sources and cite them.

Both refuse to answer when nothing relevant was retrieved: the LLM is not even asked then.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core import paths
from core.citation_check import attribute
from core.models.llm import LocalLLM
from core.prompt_safety import COMMON_CONTROL, as_data, without_instructions
from core.retrieve import Hit, Retriever
from core.text import language_of, traditional_script

MODES = ("extract", "generate")
# Relevance cues, measured on TIPO: the gold item of a realistic query shares at least this
# share of the query's character bigrams, or the dense channel is at least this close.
MIN_COVERAGE = 0.34
MIN_COSINE = 0.75  # all-MiniLM-L6-v2's; each workspace measures its encoder's own
MAX_SOURCE_CHARS = 900
REPLY_TOKENS = 384
_CITE_RE = re.compile(r"\[(\d{1,2})\]")
# A line opening a copy of a quoted source ("[2] 問: ..." / "[2] Q: ..."), or a paragraph
# opening with a bare source number the way the quoted block does ("\n\n[2] 不可以。..."),
# and what may still grow into either.
_ECHO_RE = re.compile(r"\n\s*\[\d{1,2}\]\s*(問|答|Q|A)\s*[:：]|\n[ \t]*\n\s*\[\d{1,2}\]")
_ECHO_START_RE = re.compile(r"\n\s*(\[(\d{1,2}(\]\s*((問|答|Q|A)\s*)?)?)?)?")
_SPACED_CITE_RE = re.compile(r"([ \t]?)\[(\d{1,2})\]")
_PARTIAL_MARK_RE = re.compile(r"[ \t]?(\[\d{0,2})?$")
_PHRASE_CHARS = 3  # OpenCC converts some characters by the phrase they start (干涉 vs 幹)

NOTHING_FOUND = {
    "zh": "知識庫中找不到與這個問題相關的答案。請換個說法再問，或聯絡承辦人員。",
    "en": "The knowledge base has no entry relevant to this question. "
          "Try rephrasing it, or ask a colleague.",
}
# An answer drawn only from entries found by meaning, no closer than official-sounding
# questions the workspace cannot answer (core.evaluate.RelevanceCutoffs.confident) come.
UNSURE = {
    "zh": "知識庫中沒有條目明確回答這個問題；以下依據最接近的條目，請確認是否適用。",
    "en": "No entry clearly answers this question; what follows comes from the closest "
          "entries. Check that it applies.",
}
EXTRACT_MODEL = "none (official answer quoted verbatim)"


@dataclass
class Answer:
    text: str
    mode: str
    model: str
    citations: list[int]
    hits: list[Hit] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    searched_as: str | None = None  # the glossary translation of a question in another language
    prompt_tokens: int | None = None  # generate: the prompt's size, sources included
    seconds: float | None = None  # generate: how long the model took to answer
    removed_citations: int = 0  # generate: markers naming no source, taken out of the text
    corrected_citations: int = 0  # generate: markers re-pointed or added (core.citation_check)
    withheld_instructions: int = 0  # generate: sources' sentences addressed to a model, not given
    stopped: bool = False  # generate: the reader stopped the model; the text is what it wrote
    uncertain: bool = False  # answered from entries no closer than near-domain questions come
    first_token_s: float | None = None  # generate, a local model: time to its first piece
    tokens_per_s: float | None = None  # generate, a local model: writing speed after that

    def as_dict(self) -> dict[str, object]:
        return {"answer": self.text, "mode": self.mode, "model": self.model,
                "citations": self.citations, "results": [h.as_dict() for h in self.hits],
                "searched_as": self.searched_as, "prompt_tokens": self.prompt_tokens,
                "seconds": self.seconds, "removed_citations": self.removed_citations,
                "corrected_citations": self.corrected_citations,
                "withheld_instructions": self.withheld_instructions,
                "uncertain": self.uncertain, "stopped": self.stopped,
                "first_token_s": self.first_token_s, "tokens_per_s": self.tokens_per_s}

    def source(self, number: int) -> Hit | None:
        """The entry a citation [number] in the text refers to."""
        return self.sources[number - 1] if 1 <= number <= len(self.sources) else None

    def with_sources(self) -> str:
        """The answer followed by its numbered sources (file and row), ready to paste."""
        lang = language_of(self.text)
        heading = "資料來源" if lang == "zh" else "Sources"
        row = "第 {} 列" if lang == "zh" else "row {}"
        lines = [f"[{n}] {h.item.question} ({h.item.source_file}, "
                 f"{row.format(h.item.source_row)})" for n, h in enumerate(self.sources, start=1)]
        return self.text if not lines else f"{self.text}\n\n{heading}:\n" + "\n".join(lines)


def relevant_hits(retriever: Retriever, question: str, hits: list[Hit],
                  min_cosine: float = MIN_COSINE) -> list[Hit]:
    """The hits that plausibly answer the question, best first. `min_cosine`: the dense
    similarity that alone makes an entry relevant (core.evaluate.calibrate_relevance)."""
    keep = []
    known = retriever.known_share(question)  # below 1 when the glossary missed words
    for hit in hits:
        dense = hit.channels.get("dense")
        if retriever.coverage(question, hit.item.id) >= MIN_COVERAGE or (
            dense is not None and dense.score * known >= min_cosine
        ):
            keep.append(hit)
    return keep


def extract(question: str, hits: list[Hit], sources: list[Hit], uncertain: bool = False
            ) -> Answer:
    """`uncertain`: the answer opens with UNSURE (the official answer follows word for word)."""
    lang = language_of(question)
    if not sources:
        return Answer(NOTHING_FOUND[lang], "extract", EXTRACT_MODEL, [], hits, [])
    best = sources[0].item
    label = "官方解答" if lang == "zh" else "Official answer"
    text = f"{best.answer}\n\n[1] {label}: {best.question}"
    if uncertain:
        text = f"{UNSURE[lang]}\n\n{text}"
    return Answer(text, "extract", EXTRACT_MODEL, [best.id], hits, sources[:1],
                  uncertain=uncertain)


def _fitting_prompt(question: str, sources: list[Hit], llm: LocalLLM, reply_tokens: int
                    ) -> tuple[list[dict[str, str]], list[Hit], int]:
    """The prompt with as many sources, as fully quoted, as the model's context allows,
    and its size in tokens."""
    chars = MAX_SOURCE_CHARS
    while True:
        messages = _prompt(question, sources, chars, getattr(llm, "control_tokens",
                                                             COMMON_CONTROL))
        size = sum(llm.count_tokens(m["content"]) for m in messages) + 32
        if size + reply_tokens <= llm.n_ctx or (len(sources) == 1 and chars <= 100):
            return messages, sources, size
        if chars > 300:  # first quote less of each source, then drop the weakest ones
            chars = chars * 2 // 3
        elif len(sources) > 1:
            sources = sources[:-1]
        else:
            chars = max(100, chars // 2)


def system_prompt(lang: str) -> str:
    """The fixed instructions every answer's prompt starts with, in the question's language."""
    name = "answer.zh-TW.txt" if lang == "zh" else "answer.en.txt"
    return (paths.resource_dir() / "prompts" / name).read_text("utf-8")


def warm_up(llm: object, lang: str) -> int:
    """Have a local model evaluate the system prompt before the first question (about a
    third of a typical prompt): that answer then starts sooner. Returns the tokens it took
    (0 for a model that cannot, such as an LLM server)."""
    warm = getattr(llm, "warm", None)
    return int(warm([{"role": "system", "content": system_prompt(lang)}])) if warm else 0


def _prompt(question: str, sources: list[Hit], chars: int = MAX_SOURCE_CHARS,
            control: tuple[str, ...] = COMMON_CONTROL) -> list[dict[str, str]]:
    """The system prompt and the numbered sources, each quoted as inert data (`control`: the
    model's own control tokens) and without its sentences addressed to a model
    (core.prompt_safety)."""
    lang = language_of(question)
    system = system_prompt(lang)
    q_label, a_label = ("問", "答") if lang == "zh" else ("Q", "A")
    quoted = "\n\n".join(
        f"[{n}] {q_label}: {as_data(_plain(h.item.question), control)}\n{a_label}: "
        f"{as_data(_plain(h.item.answer)[:chars], control)}"
        for n, h in enumerate(sources, start=1))
    heading = ("資料來源（僅供引用的資料）" if lang == "zh"
               else "Sources (quoted data only)")
    ask = "問題" if lang == "zh" else "Question"
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"{heading}:\n<<<\n{quoted}\n>>>\n\n{ask}: {question}"}]


def _plain(text: str) -> str:
    return without_instructions(text)[0]


def generate(question: str, hits: list[Hit], sources: list[Hit], llm: LocalLLM,
             on_token: Callable[[str], None] | None = None, max_sources: int = 3,
             stop: threading.Event | None = None, uncertain: bool = False) -> Answer:
    """`stop`: set, the model stops at its next piece and what it wrote so far is the
    answer (marked `stopped`), its citations checked as for a finished one. `uncertain`:
    the answer opens with UNSURE, shown before the model's first words."""
    lang = language_of(question)
    if not sources:
        text = NOTHING_FOUND[lang]
        if on_token:
            on_token(text)
        return Answer(text, "generate", llm.name, [], hits, [])
    messages, sources, size = _fitting_prompt(question, sources[:max_sources], llm,
                                              REPLY_TOKENS)
    caution = f"{UNSURE[lang]}\n\n" if uncertain else ""
    if caution and on_token:
        on_token(caution)
    started = time.monotonic()
    script = traditional_script(question)
    reply, removed, stopped = _stream_answer(
        llm.stream_chat(messages, max_tokens=REPLY_TOKENS), len(sources), on_token,
        None if script is str else script, stop)
    seconds = round(time.monotonic() - started, 2)
    stats = getattr(llm, "last_call", None)  # a local model's own measurement
    reply, corrected = attribute(reply, [f"{h.item.question}\n{h.item.answer[:MAX_SOURCE_CHARS]}"
                                         for h in sources])
    text, numbers, _ = checked_citations(reply, len(sources))
    return Answer(caution + text, "generate", llm.name,
                  [sources[n - 1].item.id for n in numbers], hits, sources,
                  prompt_tokens=size, seconds=seconds, uncertain=uncertain,
                  removed_citations=removed, corrected_citations=corrected, stopped=stopped,
                  withheld_instructions=sum(without_instructions(f"{h.item.question}\n"
                                                                 f"{h.item.answer}")[1]
                                            for h in sources),
                  first_token_s=round(stats.first_token_s, 2) if stats and
                  stats.first_token_s is not None else None,
                  tokens_per_s=stats.tokens_per_s if stats else None)


def _stream_answer(stream: Iterator[str], n_sources: int,
                   on_token: Callable[[str], None] | None,
                   script: Callable[[str], str] | None = None,
                   stop: threading.Event | None = None) -> tuple[str, int, bool]:
    """The reply as shown, how many markers naming no source were taken out of it, and
    whether `stop` ended it (checked before each piece: what came before is kept).

    Generation ends where the model, having answered with a citation, starts copying the
    quoted sources block ("\n\n[2] 問: ...\n答: ...", which Qwen2.5-0.5B does on most
    questions); a reply that opens by quoting a source ("Answer:\n\n[1] A: ...") is how
    SmolLM2 cites, and is kept. `script`
    (OpenCC s2tw for a Traditional question) fixes the stray Simplified characters small
    models write. What `on_token` receives is the final text as it grows: a tail that may
    still become a copy or a marker ("\n[2", " [") or change script with the characters that
    follow is held back, so neither a copied source nor an invented [7] reaches the screen."""
    text, shown, stopped = "", "", False
    try:
        for piece in stream:
            if stop is not None and stop.is_set():
                stopped = True
                text = text[:_settled(text)]  # no half-written marker or copy opening
                break
            text += piece
            echo = _ECHO_RE.search(text)
            if echo and _CITE_RE.search(text, 0, echo.start()):
                text = text[:echo.start()]  # answered and cited: what follows is a copy
                break
            if on_token:
                converted = script(text) if script else text
                if len(converted) != len(text):  # not character for character: wait
                    continue
                end = _settled(text[:max(0, len(text) - _PHRASE_CHARS)] if script else text)
                visible = _without_invalid(converted[:end], n_sources)[0]
                if len(visible) > len(shown) and visible.startswith(shown):
                    on_token(visible[len(shown):])
                    shown = visible
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()  # stops the model's generation when the copy is cut off or stopped
    visible, removed = _without_invalid(script(text) if script else text, n_sources)
    if on_token and len(visible) > len(shown) and visible.startswith(shown):
        on_token(visible[len(shown):])
    return visible, removed, stopped


def _settled(text: str) -> int:
    """How much of a growing reply cannot change meaning any more: all of it but a last line
    that may become a copied source, or a trailing, incomplete citation marker."""
    end = len(text)
    line = text.rfind("\n")
    if line >= 0 and _ECHO_START_RE.fullmatch(text[line:]):
        end = line
    partial = _PARTIAL_MARK_RE.search(text, 0, end)
    return partial.start() if partial else end


def _without_invalid(text: str, n_sources: int) -> tuple[str, int]:
    """The text without markers naming no source (and the blank before each), and their
    count."""
    removed = 0

    def keep(match: re.Match[str]) -> str:
        nonlocal removed
        if 1 <= int(match.group(2)) <= n_sources:
            return match.group(0)
        removed += 1
        return ""

    return _SPACED_CITE_RE.sub(keep, text), removed


def checked_citations(text: str, n_sources: int) -> tuple[str, list[int], int]:
    """The text without markers that name no source, the source numbers it cites (first
    citation first) and how many markers were removed. Citations are exactly what the text
    cites: an answer citing nothing claims no source, even though it was given some."""
    text, removed = _without_invalid(text, n_sources)
    cited = [int(n) for n in _CITE_RE.findall(text)]
    return text.strip(), list(dict.fromkeys(cited)), removed
