"""LLM query angles: the local model plays the five user roles of MQG-RFM (arXiv 2506.00527).

Rule-based angles (rules.py) only reproduce surface noise. Real users also ask about the
same answer with other words, other intents and other levels of expertise, and only a
language model can write those. The paper prompts an LLM with five "expert roles", each
simulating one kind of user:

- concept:    a concept-seeking user, asking an open question in everyday words
- keyword:    a keyword user, typing a few search terms
- fact:       a fact-seeking user, asking for one precise fact
- spelling:   a user who makes spelling / input-method mistakes
- web_search: a web-search user, typing a short search-engine query

One chat call per role, so a role's prompt stays short enough for small local models and a
bad reply only costs that role. Replies are parsed leniently and filtered (filters.py);
what is kept becomes `SyntheticQuery` training pairs for the retriever.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from core.augment.filters import filter_queries, normalise, parse_llm_output
from core.augment.injection import InjectionFilter
from core.augment.rules import SyntheticQuery
from core.errors import Cancelled
from core.paths import resource_dir
from core.prompt_safety import COMMON_CONTROL, as_data
from core.records import Item
from core.text import clean, language_of, traditional_script
from core.text import units as text_units

ROLES = ("concept", "keyword", "fact", "spelling", "web_search")
ANSWER_CHARS = 400

_SYSTEM = {
    "en": "You are a query-generation assistant for a patent Q&A search system. You imitate "
          "real users and write the search queries they would type. Reply with the queries "
          "only, one per line.",
    "zh-TW": "你是專利問答搜尋系統的查詢產生助理，負責模仿真實使用者，寫出他們會輸入的搜尋查詢。"
             "只回覆查詢本身，每行一個，使用繁體中文。",
}
_PLACEHOLDER = re.compile(r"\{(question|answer|k)\}")
_LABEL = re.compile(r"^\s*(知識庫問題|原問題|參考答案|答案|問題|查詢|關鍵字查詢|搜尋查詢|"
                    r"Knowledge-base question|Its answer|Question|Answer|Query)\s*[:：]\s*",
                    re.IGNORECASE)


class ChatModel(Protocol):
    """What generation needs from the LLM (core.models.llm.LocalLLM provides it)."""

    @property
    def name(self) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def chat(self, messages: list[dict[str, str]], max_tokens: int = ...,
             temperature: float = ...) -> str: ...


@dataclass
class AngleStats:
    """How one role fared: candidates parsed, kept, dropped by reason, output tokens, time."""

    generated: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"generated": self.generated, "kept": self.kept, "dropped": dict(self.dropped),
                "tokens": self.tokens, "seconds": round(self.seconds, 3)}


def prompt_language(question: str) -> str:
    """The prompt folder for a question: Chinese questions get Traditional Chinese prompts."""
    return "zh-TW" if language_of(question) == "zh" else "en"


@lru_cache(maxsize=32)
def load_prompt(lang: str, role: str) -> str:
    """A role's prompt template, read once from resources/prompts/angles/<lang>/<role>.txt."""
    if role not in ROLES:
        raise ValueError(f"unknown query angle {role!r}; choose from {', '.join(ROLES)}")
    path = resource_dir() / "prompts" / "angles" / lang / f"{role}.txt"
    return path.read_text(encoding="utf-8").strip()


def render_prompt(template: str, question: str, answer: str, k: int,
                  control: Iterable[str] = COMMON_CONTROL) -> str:
    """Fill {question}, {answer} and {k} in one pass, so braces inside the item's own text are
    never treated as placeholders; the item's text goes in as inert data (`control`: the
    model's control tokens, core.prompt_safety). Long answers are cut: the question carries
    the intent, and a short prompt keeps small models on task."""
    answer = clean(answer)
    if len(answer) > ANSWER_CHARS:
        answer = answer[:ANSWER_CHARS].rstrip() + "…"
    control = tuple(control)
    values = {"question": as_data(clean(question), control),
              "answer": as_data(answer, control), "k": str(k)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def unlabel(candidate: str) -> str:
    """A line without the prompt's own field label: small models echo the prompt's layout
    ("知識庫問題：<the question>", "答案：<the answer>"), and only without the label do the
    filters see that it copies the question or the answer."""
    return _LABEL.sub("", candidate, count=1).strip()


def unit_bigrams(text: str) -> set[tuple[str, str]]:
    """Adjacent pairs of units, a unit being one CJK character or one Latin/digit word:
    character pairs would make any short English query look copied from an English prompt."""
    units = text_units(normalise(text))
    return set(zip(units, units[1:], strict=False))


def _checked(roles: Iterable[str]) -> tuple[str, ...]:
    roles = tuple(roles)
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown query angle {role!r}; choose from {', '.join(ROLES)}")
    return roles


def is_echo(candidate: str, instructions: set[tuple[str, str]], share: float = 0.6) -> bool:
    """True when a candidate mostly repeats the prompt's instructions, the commonest failure
    of small models ("Write one query per line...", "你是...助理"). Short candidates are
    never echoes: two or three words can legitimately share the prompt's vocabulary."""
    pairs = unit_bigrams(candidate)
    return len(pairs) >= 4 and len(pairs & instructions) >= share * len(pairs)


class LLMAngles:
    """Generates role-specific synthetic queries for items with a local chat model."""

    def __init__(self, llm: ChatModel, k: int = 3, max_tokens: int = 160,
                 temperature: float = 0.7) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        self.llm = llm
        self.k = k
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.total_tokens = 0
        self.total_seconds = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Output tokens per second over every call so far (0.0 before the first call)."""
        return self.total_tokens / self.total_seconds if self.total_seconds > 0 else 0.0

    def messages(self, item: Item, role: str) -> list[dict[str, str]]:
        lang = prompt_language(item.question)
        prompt = render_prompt(load_prompt(lang, role), item.question, item.answer, self.k,
                               getattr(self.llm, "control_tokens", COMMON_CONTROL))
        return [{"role": "system", "content": _SYSTEM[lang]},
                {"role": "user", "content": prompt}]

    def instructions(self, item: Item, role: str) -> str:
        """The prompt text the model sees apart from the item itself (for echo detection)."""
        lang = prompt_language(item.question)
        return _SYSTEM[lang] + "\n" + render_prompt(load_prompt(lang, role), "", "", self.k)

    def generate(self, item: Item, roles: Iterable[str] = ROLES, existing: Iterable[str] = (),
                 cancel: threading.Event | None = None
                 ) -> tuple[list[SyntheticQuery], dict[str, AngleStats]]:
        """Queries for one item from each role, and per-role statistics.

        `existing` holds queries the item already has (e.g. rule angles); near-duplicates of
        them, of queries kept for earlier roles and of the answer are dropped, and so are
        echoes of the prompt's instructions (reason "echo", on top of filters.REASONS) and
        of instructions planted in the item (reason "injected", core.augment.injection).
        `cancel` is checked before each call, so a cancelled job stops within one generation."""
        roles = _checked(roles)
        replies: list[tuple[str, int, float]] = []
        for role in roles:
            if cancel is not None and cancel.is_set():
                raise Cancelled("query generation was cancelled; no queries were kept")
            reply, seconds = self._chat(self.messages(item, role))
            tokens = self.llm.count_tokens(reply) if reply else 0
            replies.append((reply, tokens, seconds))
        return self._collect(item, roles, replies, existing)

    def generate_many(self, jobs: Sequence[tuple[Item, Iterable[str], Iterable[str]]],
                      cancel: threading.Event | None = None
                      ) -> list[tuple[list[SyntheticQuery], dict[str, AngleStats]]]:
        """`generate` for several (item, roles, existing) jobs. A model that decodes several
        conversations at once (LocalLLM.chat_many) gets every role of every job in one batch;
        its time is shared evenly among the replies. Any other model writes them in turn."""
        chat_many = getattr(self.llm, "chat_many", None)
        if chat_many is None or not getattr(self.llm, "can_batch", False):
            return [self.generate(item, roles, existing, cancel)
                    for item, roles, existing in jobs]
        checked = [(item, _checked(roles), existing) for item, roles, existing in jobs]
        conversations = [self.messages(item, role) for item, roles, _ in checked
                         for role in roles]
        started = time.perf_counter()
        try:
            replies = chat_many(conversations, max_tokens=self.max_tokens,
                                temperature=self.temperature, cancel=cancel)
        except Cancelled:
            raise Cancelled("query generation was cancelled; no queries were kept") from None
        share = (time.perf_counter() - started) / max(1, len(replies))
        results, at = [], 0
        for item, roles, existing in checked:
            mine = [(text, tokens, share) for text, tokens in replies[at:at + len(roles)]]
            at += len(roles)
            results.append(self._collect(item, roles, mine, existing))
        return results

    def _collect(self, item: Item, roles: tuple[str, ...],
                 replies: Sequence[tuple[str, int, float]], existing: Iterable[str]
                 ) -> tuple[list[SyntheticQuery], dict[str, AngleStats]]:
        """Each role's reply parsed and filtered in role order (a later role may not repeat
        an earlier one's queries), with its statistics."""
        language = language_of(item.question)
        script = traditional_script(item.question)
        seen = [clean(text) for text in existing]
        planted = InjectionFilter(item.question, item.answer)
        queries: list[SyntheticQuery] = []
        stats: dict[str, AngleStats] = {}
        for role, (reply, tokens, seconds) in zip(roles, replies, strict=True):
            candidates = [script(c) for c in map(unlabel, parse_llm_output(reply)) if c]
            instructions = unit_bigrams(self.instructions(item, role))
            echoes = [c for c in candidates if is_echo(c, instructions)]
            injected = [c for c in candidates if c not in echoes and planted.rejects(c)]
            report = filter_queries([c for c in candidates if c not in (*echoes, *injected)],
                                    item.question, language, existing=[*seen, item.answer])
            for reason, dropped in (("echo", echoes), ("injected", injected)):
                if dropped:
                    report.dropped[reason] += len(dropped)
            self.total_tokens += tokens
            self.total_seconds += seconds
            stats[role] = AngleStats(generated=len(candidates), kept=len(report.kept),
                                     dropped=report.dropped, tokens=tokens, seconds=seconds)
            seen.extend(report.kept)
            queries.extend(SyntheticQuery(text, role, item.id) for text in report.kept)
        return queries, stats

    def _chat(self, messages: list[dict[str, str]]) -> tuple[str, float]:
        """One completion and its wall time."""
        started = time.perf_counter()
        reply = self.llm.chat(messages, max_tokens=self.max_tokens, temperature=self.temperature)
        return reply, time.perf_counter() - started
