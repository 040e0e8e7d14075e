"""Stored text in a prompt is data, never instructions and never a source of its own.

Every prompt that quotes an item (a grounded answer, every query angle) passes its text
through `as_data`, which makes three things impossible to spell from inside an item:
- a chat-template control token (Qwen's <|im_start|>, Gemma's <start_of_turn>, Llama 2's
  <<SYS>>, ...): each one the loaded model defines is broken with an invisible word joiner, so
  the tokenizer reads plain characters instead of the special token;
- the end of the quoted block (>>>) and its start (<<<);
- a numbered source of its own: "[2]" becomes "［2］" and blank lines close up, so an answer
  holding "\n\n[2] Q: … A: …" cannot open a second source that retrieval never returned.
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
