"""The e5 tokenizer (Unigram + Metaspace, tokenizers' rules), loaded in a tenth of a second.

`tokenizers.Tokenizer.from_file` spends 1.3-1.8 s building its trie of multilingual-e5's
250,002 pieces, longer than the rest of a cold `patent-desk search`. A query is a few dozen
characters, so a dictionary lookup per candidate piece is as fast as the trie, and the
vocabulary loads from a `marshal` copy written beside tokenizer.json on first use. The ids
are tokenizers' own (tests/test_light_encoder.py compares them on the demo corpus):
NFKC, control characters dropped, whitespace as one space, "▁" for spaces and before the
text, split into words at "▁", each word cut by Viterbi (pieces' log-probabilities; a
character outside the vocabulary is `unk` at the lowest score minus 10, runs of them fused),
then <s> ... </s> with the text truncated to fit the model's length.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import unicodedata
from array import array
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CACHE_FORMAT = 2
UNK_PENALTY = 10.0  # tokenizers' K_UNK_PENALTY
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\t\n\r\f\v]")
_RUNS = re.compile(" {2,}")
# What e5.py writes (core.models.e5._tokenizer); any other tokenizer.json is not this one.
_EXPECTED_NORMALIZERS = ["NFKC", "Replace", "Replace", "Replace"]


class NotUnigram(Exception):
    """The tokenizer is not the Unigram + Metaspace kind this module reproduces."""


class UnigramTokenizer:
    def __init__(self, path: Path, pieces: list[str], scores: array, unk_id: int,
                 bos: int, eos: int, added: list[str], max_length: int) -> None:
        self.path = path
        self.ids = dict(zip(pieces, range(len(pieces)), strict=True))
        self.scores = scores
        self.added = re.compile("|".join(map(re.escape, added))) if added else None
        self._tokenizer: Tokenizer | None = None
        self.unk_id = unk_id
        self.bos, self.eos = bos, eos
        self.max_length = max_length
        self.unk_score = min(scores) - UNK_PENALTY
        self.longest = max(map(len, pieces))

    @classmethod
    def load(cls, tokenizer_json: Path, max_length: int) -> UnigramTokenizer:
        """From the marshal copy beside `tokenizer_json` (written on first use)."""
        stat = tokenizer_json.stat()
        stamp = f"{CACHE_FORMAT}:{stat.st_size}:{stat.st_mtime_ns}"
        cached = tokenizer_json.with_name("unigram.marshal")
        try:
            with open(cached, "rb") as handle:
                data = marshal.load(handle)
            if data.get("stamp") != stamp:
                raise ValueError("stale")
        except (OSError, ValueError, EOFError, TypeError, AttributeError):
            data = _read_json(tokenizer_json)
            data["stamp"] = stamp
            _write_atomic(cached, marshal.dumps(data))
        # One string and one float array: 250,000 separate objects would take 1.5 s to load.
        return cls(tokenizer_json, data["pieces"].split("\n"), array("d", data["scores"]),
                   data["unk"], data["bos"], data["eos"], data["added"], max_length)

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = _CONTROL.sub("", _SPACES.sub(" ", text))
        return _RUNS.sub(" ", text)

    def words(self, text: str) -> list[str]:
        """Metaspace, prepend_scheme 'always', split: each word starts with its '▁'."""
        spaced = self.normalize(text).replace(" ", "▁")
        if not spaced:
            return []
        if not spaced.startswith("▁"):
            spaced = "▁" + spaced
        return ["▁" + w for w in spaced[1:].split("▁")]

    def _viterbi(self, word: str) -> list[int]:
        size = len(word)
        best: list[tuple[float, int, int] | None] = [None] * (size + 1)  # score, start, id
        best[0] = (0.0, 0, -1)
        for start in range(size):
            here = best[start]
            if here is None:
                continue
            single = False
            for end in range(start + 1, min(size, start + self.longest) + 1):
                piece = self.ids.get(word[start:end])
                if piece is None:
                    continue
                single = single or end == start + 1
                score = here[0] + self.scores[piece]
                known = best[end]
                if known is None or score > known[0]:
                    best[end] = (score, start, piece)
            if not single:
                score = here[0] + self.unk_score
                known = best[start + 1]
                if known is None or score > known[0]:
                    best[start + 1] = (score, start, self.unk_id)
        ids: list[int] = []
        end = size
        while end > 0:
            node = best[end]
            assert node is not None
            ids.append(node[2])
            end = node[1]
        ids.reverse()
        fused: list[int] = []
        for token in ids:  # fuse_unk
            if not (token == self.unk_id and fused and fused[-1] == self.unk_id):
                fused.append(token)
        return fused

    def pieces(self, text: str) -> list[int]:
        """The text's token ids, without <s> and </s> and untruncated."""
        if self.added is not None and self.added.search(text):
            return self._full().encode(text, add_special_tokens=False).ids
        return [token for word in self.words(text) for token in self._viterbi(word)]

    def encode(self, text: str) -> list[int]:
        if self.added is not None and self.added.search(text):
            ids = self._full().encode(text).ids  # "<s>", "<mask>" in a text: rare, exact
            return ids if len(ids) <= self.max_length else [*ids[: self.max_length - 1], ids[-1]]
        return [self.bos, *self.pieces(text)[: self.max_length - 2], self.eos]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(text) for text in texts]

    def _full(self) -> Tokenizer:
        """tokenizers' own, for texts holding a special token (it splits those out first)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(self.path))
            self._tokenizer.no_padding()
            self._tokenizer.no_truncation()
        return self._tokenizer


def _read_json(path: Path) -> dict:
    spec = json.loads(path.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    normalizers = [n.get("type") for n in (spec.get("normalizer") or {}).get("normalizers", [])]
    pre = spec.get("pre_tokenizer") or {}
    post = spec.get("post_processor") or {}
    if (model.get("type") != "Unigram" or model.get("byte_fallback")
            or normalizers != _EXPECTED_NORMALIZERS or pre.get("type") != "Metaspace"
            or pre.get("prepend_scheme") != "always" or not pre.get("split", True)
            or post.get("type") != "TemplateProcessing"):
        raise NotUnigram(f"{path} is not a Unigram + Metaspace tokenizer")
    specials = post["special_tokens"]
    bos, eos = (specials[t["SpecialToken"]["id"]]["ids"][0]
                for t in (post["single"][0], post["single"][-1]))
    pieces = [piece for piece, _ in model["vocab"]]
    if any("\n" in piece for piece in pieces) or len(set(pieces)) != len(pieces):
        raise NotUnigram(f"{path} has pieces this module cannot store")
    added = [t["content"] for t in spec.get("added_tokens") or []]
    return {"pieces": "\n".join(pieces),
            "scores": array("d", (float(score) for _, score in model["vocab"])).tobytes(),
            "unk": int(model["unk_id"]), "bos": bos, "eos": eos, "added": added}


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:  # a read-only model folder: parse the JSON again next time
        temporary.unlink(missing_ok=True)
