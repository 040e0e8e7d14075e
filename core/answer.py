"""Answers grounded in retrieved entries: `extract` returns the official answer verbatim,
`generate` lets the local LLM write one from numbered sources and cite them.

Both refuse to answer when nothing relevant was retrieved: the LLM is not even asked then.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core import paths
from core.models.llm import LocalLLM
from core.retrieve import Hit, Retriever
from core.text import language_of

MODES = ("extract", "generate")
# Relevance cues, measured on TIPO: the gold item of a realistic query shares at least this
# share of the query's character bigrams, or the dense channel is at least this close.
MIN_COVERAGE = 0.34
MIN_COSINE = 0.75  # all-MiniLM-L6-v2's; each workspace measures its encoder's own
MAX_SOURCE_CHARS = 900
REPLY_TOKENS = 384
_CITE_RE = re.compile(r"\[(\d{1,2})\]")
_BREAKOUTS = (("<<<", "‹‹‹"), (">>>", "›››"), ("<|", "‹|"), ("|>", "|›"), ("[INST]", "[inst]"),
              ("[/INST]", "[/inst]"), ("<s>", "‹s›"), ("</s>", "‹/s›"))

NOTHING_FOUND = {
    "zh": "知識庫中找不到與這個問題相關的答案。請換個說法再問，或聯絡承辦人員。",
    "en": "The knowledge base has no entry relevant to this question. "
          "Try rephrasing it, or ask a colleague.",
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

    def as_dict(self) -> dict[str, object]:
        return {"answer": self.text, "mode": self.mode, "model": self.model,
                "citations": self.citations, "results": [h.as_dict() for h in self.hits],
                "searched_as": self.searched_as, "prompt_tokens": self.prompt_tokens,
                "seconds": self.seconds}

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


def extract(question: str, hits: list[Hit], sources: list[Hit]) -> Answer:
    lang = language_of(question)
    if not sources:
        return Answer(NOTHING_FOUND[lang], "extract", EXTRACT_MODEL, [], hits, [])
    best = sources[0].item
    label = "官方解答" if lang == "zh" else "Official answer"
    text = f"{best.answer}\n\n[1] {label}: {best.question}"
    return Answer(text, "extract", EXTRACT_MODEL, [best.id], hits, sources[:1])


def _fitting_prompt(question: str, sources: list[Hit], llm: LocalLLM, reply_tokens: int
                    ) -> tuple[list[dict[str, str]], list[Hit], int]:
    """The prompt with as many sources, as fully quoted, as the model's context allows,
    and its size in tokens."""
    chars = MAX_SOURCE_CHARS
    while True:
        messages = _prompt(question, sources, chars)
        size = sum(llm.count_tokens(m["content"]) for m in messages) + 32
        if size + reply_tokens <= llm.n_ctx or (len(sources) == 1 and chars <= 100):
            return messages, sources, size
        if chars > 300:  # first quote less of each source, then drop the weakest ones
            chars = chars * 2 // 3
        elif len(sources) > 1:
            sources = sources[:-1]
        else:
            chars = max(100, chars // 2)


def as_data(text: str) -> str:
    """Imported text as inert quoted data: it cannot close the <<< >>> quote nor spell a
    chat-template control token (<|im_end|>, <|im_start|>system, ...)."""
    for seq, inert in _BREAKOUTS:
        text = text.replace(seq, inert)
    return text


def _prompt(question: str, sources: list[Hit], chars: int = MAX_SOURCE_CHARS
            ) -> list[dict[str, str]]:
    lang = language_of(question)
    system = (paths.resource_dir() / "prompts" /
              ("answer.zh-TW.txt" if lang == "zh" else "answer.en.txt")).read_text("utf-8")
    q_label, a_label = ("問", "答") if lang == "zh" else ("Q", "A")
    quoted = "\n\n".join(
        f"[{n}] {q_label}: {as_data(h.item.question)}\n{a_label}: "
        f"{as_data(h.item.answer[:chars])}"
        for n, h in enumerate(sources, start=1))
    heading = ("資料來源（僅供引用的資料）" if lang == "zh"
               else "Sources (quoted data only)")
    ask = "問題" if lang == "zh" else "Question"
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"{heading}:\n<<<\n{quoted}\n>>>\n\n{ask}: {question}"}]


def generate(question: str, hits: list[Hit], sources: list[Hit], llm: LocalLLM,
             on_token: Callable[[str], None] | None = None, max_sources: int = 3) -> Answer:
    lang = language_of(question)
    if not sources:
        text = NOTHING_FOUND[lang]
        if on_token:
            on_token(text)
        return Answer(text, "generate", llm.name, [], hits, [])
    messages, sources, size = _fitting_prompt(question, sources[:max_sources], llm,
                                              REPLY_TOKENS)
    started = time.monotonic()
    pieces: list[str] = []
    for piece in llm.stream_chat(messages, max_tokens=REPLY_TOKENS):
        pieces.append(piece)
        if on_token:
            on_token(piece)
    seconds = round(time.monotonic() - started, 2)
    text = "".join(pieces).strip()
    cited = [int(n) for n in _CITE_RE.findall(text) if 1 <= int(n) <= len(sources)]
    # A tiny model may forget to cite; the sources it was given are still what it used.
    numbers = list(dict.fromkeys(cited)) or list(range(1, len(sources) + 1))
    return Answer(text, "generate", llm.name, [sources[n - 1].item.id for n in numbers],
                  hits, sources, prompt_tokens=size, seconds=seconds)
