"""A BERT sentence encoder in numpy, for the query path: no torch, no sentence-transformers.

`import sentence_transformers` alone costs about 7 s on two cores (transformers, torch,
scikit-learn), so a one-off `patent-desk search` took 9-11 s and the window made its first
question wait as long. The bundled encoders are plain BERT models with mean pooling, and a
query-side LoRA adapter merges into their weights, so this module runs exactly that
forward pass on weights memory-mapped from the model folder's safetensors (only the rows of
the tokens in use are read). Its vectors match sentence-transformers' to cosine 0.99999
(tests/test_light_encoder.py). Anything it does not know (another architecture, pooling,
an adapter that teaches characters) is refused with `Unsupported`, and the caller loads the
full Encoder instead.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import Cancelled
from core.models.registry import ModelSource, ready
from core.models.unigram import NotUnigram, UnigramTokenizer
from core.progress import Progress

BATCH = 32


class _Tokenizer(Protocol):
    unk_id: int | None

    def encode_batch(self, texts: list[str]) -> list[list[int]]: ...

    def pieces(self, text: str) -> list[int]: ...


class _Ids:
    """tokenizers' Tokenizer, giving token ids."""

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.whole = Tokenizer.from_file(str(path))
        self.whole.no_padding()
        self.whole.no_truncation()
        self.truncating = Tokenizer.from_file(str(path))
        self.truncating.no_padding()
        self.truncating.enable_truncation(max_length)
        unk = getattr(self.whole.model, "unk_token", None)
        self.unk_id = self.whole.token_to_id(unk) if isinstance(unk, str) else None

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.truncating.encode_batch(texts)]

    def pieces(self, text: str) -> list[int]:
        return self.whole.encode(text, add_special_tokens=False).ids


class Unsupported(Exception):
    """This model (or adapter) needs the full sentence-transformers Encoder."""


def _tensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file, memory-mapped (read on touch, never copied)."""
    dtypes = {"F32": np.float32, "F16": np.float16}
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if name.endswith("position_ids"):
            continue  # a buffer some checkpoints carry: positions here are 0..n-1
        if entry["dtype"] not in dtypes:
            raise Unsupported(f"tensor {name} is {entry['dtype']}")
        start, end = entry["data_offsets"]
        out[name] = mapped[start:end].view(dtypes[entry["dtype"]]).reshape(entry["shape"])
    return out


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU, in place: numpy has no erf and scipy costs an import, so erf
    is Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) * np.float32(1 / math.sqrt(2.0))
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # erfc(|x| / sqrt 2)
    # gelu(x) = x (1 + erf(x / sqrt 2)) / 2 = max(x, 0) - |x| erfc(|x| / sqrt 2) / 2
    poly *= np.abs(x)
    poly *= -0.5
    poly += np.maximum(x, 0.0)
    return poly


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _read_folder(folder: Path) -> tuple[dict, dict, int]:
    """The folder's BERT config, sentence-transformers prompts and max length, or Unsupported."""
    def load(name: str) -> dict | list:
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    config = load("config.json")
    modules = load("modules.json")
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules] if modules else []
    pooling = load("1_Pooling/config.json")
    if (config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"
            or types[:2] != ["Transformer", "Pooling"]
            or not set(types[2:]) <= {"Normalize"}
            or not pooling.get("pooling_mode_mean_tokens")
            or any(v for k, v in pooling.items()
                   if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
            or not (folder / "tokenizer.json").is_file()
            or not (folder / "model.safetensors").is_file()):
        raise Unsupported(f"{folder} is not a mean-pooled BERT sentence encoder")
    prompts = load("config_sentence_transformers.json").get("prompts", {}) or {}
    sentence_config = load("sentence_bert_config.json")
    if sentence_config.get("do_lower_case"):
        raise Unsupported(f"{folder} lowercases its texts before the tokenizer")
    max_length = int(sentence_config.get("max_seq_length") or 512)
    return config, prompts, min(max_length, int(config.get("max_position_embeddings", 512)))


_REQUIRED = (
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
    *(f"encoder.layer.0.{name}.weight" for name in (
        "attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
        "output.dense", "output.LayerNorm")))


class LightEncoder:
    """Encodes like core.models.encoder.Encoder (same ids, prompts, vectors), in numpy."""

    def __init__(self, source: ModelSource, adapter: tuple[int, str] | None = None,
                 lora: Mapping | None = None,
                 lora_weights: Mapping[str, np.ndarray] | None = None) -> None:
        """`adapter`: the (id, kind) of the LoRA whose `lora` config and peft state
        `lora_weights` are merged in (kind as AdapterSpec's)."""
        folder = ready(source)
        self.config, self.prompts, self.max_length = _read_folder(folder)
        self.source = source
        self.adapter = adapter
        weights = {k.removeprefix("bert."): v
                   for k, v in _tensors(folder / "model.safetensors").items()}
        if lora_weights:
            weights.update(_merged_lora(weights, dict(lora or {}), lora_weights))
        missing = [k for k in _REQUIRED if k not in weights]
        if missing:
            raise Unsupported(f"{folder} lacks {missing[0]}")
        # The layers are read into memory once, matrices transposed for `x @ W` (matmul on
        # the memory-mapped views was several times slower here). Only the vocabulary's
        # rows, the bulk of a multilingual model (250k x 384), stay mapped, read when used.
        self.weights = {k: (v if k.endswith("word_embeddings.weight") else
                            np.ascontiguousarray(v.T if v.ndim == 2 and ".layer." in k else v,
                                                 dtype=np.float32))
                        for k, v in weights.items()}
        try:
            self.tokenizer: _Tokenizer = UnigramTokenizer.load(folder / "tokenizer.json",
                                                               self.max_length)
        except NotUnigram:  # WordPiece (MiniLM) and others: tokenizers loads them quickly
            self.tokenizer = _Ids(folder / "tokenizer.json", self.max_length)
        self.dim = int(self.config["hidden_size"])

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def doc_space_id(self) -> str:
        if self.adapter and self.adapter[1] == "symmetric":
            return f"{self.id}+adapter:{self.adapter[0]}"
        return self.id  # a query-side adapter leaves the items' base vectors valid

    @property
    def name(self) -> str:
        return self.source.name

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        w, c = self.weights, self.config
        eps = float(c.get("layer_norm_eps", 1e-12))
        heads = int(c["num_attention_heads"])
        length = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = (np.asarray(w["embeddings.word_embeddings.weight"][tokens.ravel()], np.float32)
             .reshape(len(ids), length, -1)
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        batch, _, hidden = x.shape
        size = hidden // heads
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for layer in range(int(c["num_hidden_layers"])):
            p = f"encoder.layer.{layer}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # One GEMM over every token: numpy loops a 3-D matmul per sequence.
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"]
                return (flat + w[p + name + ".bias"]).reshape(*h.shape[:-1], -1)

            def split(h: np.ndarray) -> np.ndarray:
                return h.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = _layer_norm(dense(context, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            inner = dense(x, "intermediate.dense")
            inner = _gelu(inner)
            x = _layer_norm(dense(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], eps)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int,
                progress: Progress | None = None,
                cancel: threading.Event | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        ids = self.tokenizer.encode_batch([prompt + t for t in texts])
        order = np.argsort([len(row) for row in ids], kind="stable")  # little padding
        for start in range(0, len(texts), batch_size):
            if cancel is not None and cancel.is_set():
                raise Cancelled("embedding cancelled; nothing was changed")
            rows = order[start : start + batch_size]
            out[rows] = self._forward([ids[i] for i in rows])
            if progress:
                progress("embedding", min(start + batch_size, len(texts)), len(texts))
        return out

    def unknown_ratio(self, texts: Sequence[str], base: bool = False) -> float:
        """Share of the texts' tokens the vocabulary cannot represent (Encoder's measure;
        `base` changes nothing: an adapter that teaches characters never runs here)."""
        if self.tokenizer.unk_id is None or not texts:
            return 0.0
        encoded = [self.tokenizer.pieces(text) for text in texts]
        total = sum(len(ids) for ids in encoded)
        return sum(ids.count(self.tokenizer.unk_id) for ids in encoded) / total if total else 0.0

    def encode_queries(self, texts: Sequence[str], batch_size: int = BATCH) -> np.ndarray:
        return self._encode(texts, self.prompts.get("query", ""), batch_size)

    def encode_documents(self, texts: Sequence[str], batch_size: int = BATCH,
                         progress: Progress | None = None,
                         cancel: threading.Event | None = None) -> np.ndarray:
        if self.adapter and self.adapter[1] == "query":
            raise Unsupported("a query-side adapter's items are encoded by the base model")
        prompt = next((self.prompts[k] for k in ("document", "passage", "corpus")
                       if k in self.prompts), "")  # as sentence-transformers picks it
        return self._encode(texts, prompt, batch_size, progress, cancel)


def _merged_lora(weights: Mapping[str, np.ndarray], lora: dict,
                 state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weight matrices a plain LoRA (peft's state-dict names) changes, merged:
    W + (alpha / r) * B @ A. DoRA, rsLoRA and taught tokens are refused."""
    if lora.get("use_dora") or lora.get("use_rslora") or lora.get("trainable_token_indices"):
        raise Unsupported("only plain LoRA adapters merge")
    scale = float(lora.get("lora_alpha", 8)) / float(lora.get("r", 8))
    merged: dict[str, np.ndarray] = {}
    for key, a in state.items():
        if ".lora_A." not in key:
            if ".lora_B." not in key:
                raise Unsupported(f"adapter tensor {key} is not LoRA")
            continue
        target = key.split(".lora_A.")[0].removeprefix("base_model.model.") + ".weight"
        b = state[key.replace(".lora_A.", ".lora_B.")]
        if target not in weights:
            raise Unsupported(f"adapter changes {target}, which the model does not have")
        merged[target] = (np.asarray(weights[target], np.float32)
                          + scale * (np.asarray(b, np.float32) @ np.asarray(a, np.float32)))
    return merged
