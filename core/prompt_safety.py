"""Stored text in a prompt is data, never instructions and never a source of its own.

Every prompt that quotes an item (a grounded answer, every query angle) passes its text
through `as_data`, which makes three things impossible to spell from inside an item:
- a chat-template control token (Qwen's <|im_start|>, Gemma's <start_of_turn>, Llama 2's
  <<SYS>>, ...): each one the loaded model defines is broken with an invisible word joiner, so
  the tokenizer reads plain characters instead of the special token;
- the end of the quoted block (>>>) and its start (<<<);
- a numbered source of its own: "[2]" becomes "［2］" and blank lines close up, so an answer
  holding "\n\n[2] Q: … A: …" cannot open a second source that retrieval never returned.

Quoting is not enough for a small model, though: asked about annual fees with one poisoned
source, Qwen2.5-0.5B answered "PWNED" or "According to [1], you are no longer an
assistant." So a grounded answer's prompt also leaves out every sentence of a source that
gives a model instructions (`without_instructions`); the stored entry keeps it, and extract
still quotes it verbatim. The same patterns let query generation drop a query that echoes
such a sentence (core.augment.injection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

JOINER = "\u2060"  # WORD JOINER: invisible, and no tokenizer merges it into a special token
# What an OpenAI-compatible server's model may define (its tokenizer is not ours to read),
# and what any model is given besides its own.
COMMON_CONTROL = (
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|begin_of_text|>", "<|end_of_text|>", "<|system|>", "<|user|>",
    "<|assistant|>", "<|end|>", "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>",
    "<<SYS>>", "<</SYS>>", "[INST]", "[/INST]", "<s>", "</s>",
)
_QUOTE_MARKS = (("<<<", "‹‹‹"), (">>>", "›››"))
_SOURCE_NUMBER = re.compile(r"\[(\d{1,3})\]")
_BLANK_LINES = re.compile(r"\n[ \t\r]*(?:\n[ \t\r]*)+")
# Literal tokens a chat template writes (<|im_start|>, <start_of_turn>, [INST], <<SYS>>).
_TEMPLATE_TOKEN = re.compile(r"<\|[^<>|\s]{1,40}\|>|</?[a-z_]{2,30}>|\[/?INST\]|<</?SYS>>")


# Phrases that only make sense addressed to a model, never in a client's question.
_ADDRESSES_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules|above"
    r"|previous|prior)\b|\byou are (?:now|no longer)\b|\bsystem prompt\b"
    r"|\b(?:reply|respond|answer|output) (?:only )?with (?:only )?the word\b"
    r"|(?:忽略|無視|无视|忘記|忘记|不要理會|不要理会)[^。！？\n]{0,12}"
    r"(?:指示|指令|規則|规则|提示|以上|上述|前面|之前|先前)"
    r"|你(?:現在|现在)(?:是|不再)|(?:系統|系统)提示"
    r"|<\|[^<>|\s]{1,40}\|>|<</?SYS>>|\[/?INST\]|<(?:start|end)_of_turn>", re.I)
# Broader, for stored text only: imperatives to the reader about its output.
_INSTRUCTION_LIKE = re.compile(
    _ADDRESSES_MODEL.pattern
    + r"|\b(?:reply|respond|answer|output|say)\b[^.!?\n]{0,30}\bonly\b"
      r"|\bonly (?:reply|respond|answer|output|say)\b|\bdo not (?:cite|mention|answer)\b"
      r"|(?:只|僅|仅)(?:回答|回覆|回复|輸出|输出)[「『“\"]|不要引用|不得引用", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])")


def addresses_model(text: str) -> bool:
    """Whether `text` speaks to a model: asks it to ignore instructions, to reply only with
    a word, names a system prompt, or spells a chat-template token. Narrow on purpose: a
    client may well ask 「審查意見可以只回覆一部分嗎」."""
    return bool(_ADDRESSES_MODEL.search(text))


def instruction_sentences(text: str) -> list[str]:
    """The sentences of stored text that give a model instructions."""
    return [s for s in _SENTENCE_END.split(text) if _INSTRUCTION_LIKE.search(s)]


def without_instructions(text: str) -> tuple[str, int]:
    """`text` with its instruction sentences left out, and how many there were."""
    found = instruction_sentences(text)
    for sentence in found:
        text = text.replace(sentence, " " if sentence.endswith((" ", "\n")) else "")
    return text, len(found)


def control_strings(tokens: Iterable[str] = (), chat_template: str | None = None
                    ) -> tuple[str, ...]:
    """The strings to neutralise for one model: its control tokens, the tokens its chat
    template spells, and the common ones; longest first, so <|im_start|> is broken whole."""
    found = {t for t in tokens if len(t) >= 3 and not t.isspace()}
    found.update(_TEMPLATE_TOKEN.findall(chat_template or ""))
    found.update(COMMON_CONTROL)
    return tuple(sorted(found, key=lambda t: (-len(t), t)))


def _broken(token: str) -> str:
    return token[0] + JOINER + token[1:]


def as_data(text: str, control: Iterable[str] = COMMON_CONTROL) -> str:
    """`text` as inert quoted data for a prompt (see the module's docstring)."""
    text = _BLANK_LINES.sub("\n", text.replace("\r\n", "\n"))
    text = _SOURCE_NUMBER.sub(r"［\1］", text)
    for seq, inert in _QUOTE_MARKS:
        text = text.replace(seq, inert)
    for token in control:
        if token in text:
            text = text.replace(token, _broken(token))
    return text.replace("<|", "‹|").replace("|>", "|›")  # any other <|…|> token
