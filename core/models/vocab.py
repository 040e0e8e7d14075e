"""Teach an encoder the characters it cannot read, using its spare vocabulary slots.

BERT vocabularies (MiniLM's included) reserve ~1000 `[unusedN]` entries that no text ever
produces. An English encoder turns ~75% of the TIPO corpus's Chinese characters into [UNK],
so every Chinese question looks alike to it. Renaming the free slots to the workspace's most
frequent unknown characters lets the dense channel tell them apart; the slots' embedding
rows are then learnt during tuning (peft `trainable_token_indices`) and stored with the
adapter, so the base model files stay untouched.

Texts are folded (NFKC, lower case, Simplified) before encoding, as for lexical search, so one
slot serves a character in both scripts and Simplified queries meet Traditional items.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from core.text import CJK_RANGES_WIDE, fold, to_traditional

SLOT_PREFIX = "[unused"
_CJK_WIDE_RE = re.compile(rf"[{CJK_RANGES_WIDE}]")


def _is_cjk(ch: str) -> bool:
    return unicodedata.category(ch) == "Lo" and _CJK_WIDE_RE.match(ch) is not None


def free_slots(tokenizer: Any) -> list[int]:
    """Vocabulary ids that no text maps to (BERT's [unusedN]), in id order."""
    return sorted(i for t, i in tokenizer.get_vocab().items() if t.startswith(SLOT_PREFIX))


def unknown_characters(tokenizer: Any, texts: Iterable[str], limit: int) -> list[str]:
    """The most frequent CJK characters of the (folded) texts the vocabulary lacks."""
    vocab = tokenizer.get_vocab()
    counts = Counter(ch for text in texts for ch in fold(text) if _is_cjk(ch))
    missing = [ch for ch in counts if ch not in vocab]
    missing.sort(key=lambda ch: (-counts[ch], ch))
    return missing[:limit]


def coverage(tokenizer: Any, texts: Iterable[str]) -> float:
    """Share of the texts' tokens that are not [UNK] (after folding)."""
    unk = tokenizer.unk_token_id
    ids = tokenizer([fold(t) for t in texts], add_special_tokens=False)["input_ids"]
    total = sum(len(x) for x in ids)
    return 1 - sum(x.count(unk) for x in ids) / total if total else 1.0


def patched_tokenizer(tokenizer: Any, chars: Iterable[str]) -> tuple[Any, list[int]]:
    """A copy of `tokenizer` whose free slots now stand for `chars`; returns their ids."""
    chars = list(chars)
    slots = free_slots(tokenizer)[: len(chars)]
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = data["model"]["vocab"]
    by_id = {i: t for t, i in vocab.items()}
    for slot, ch in zip(slots, chars, strict=False):
        del vocab[by_id[slot]]
        vocab[ch] = slot
    from tokenizers import Tokenizer

    patched = copy.deepcopy(tokenizer)
    patched._tokenizer = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    return patched, slots[: len(chars)]


def initial_rows(tokenizer: Any, embeddings: Any, chars: Iterable[str]) -> Any:
    """Starting embedding rows for new characters: the row of the character's Traditional
    form when the vocabulary has it, else [UNK]'s (what the model saw there before)."""
    import torch

    vocab = tokenizer.get_vocab()
    rows = []
    for ch in chars:
        known = vocab.get(to_traditional(ch), tokenizer.unk_token_id)
        rows.append(embeddings[known])
    return torch.stack(rows).detach().clone()
