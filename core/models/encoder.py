"""The sentence encoder behind the dense channel (sentence-transformers, CPU)."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import Cancelled, ModelError
from core.models.registry import ModelSource, ready
from core.progress import Progress
from core.text import fold

# Never reach for a hub: every model is a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# peft calls a transformers method transformers has renamed; users cannot act on that.
warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)


@dataclass(frozen=True)
class AdapterSpec:
    """A LoRA adapter on the encoder. kind 'query': only queries pass through it, so stored
    item vectors stay valid; 'symmetric': items too, so they must be re-embedded."""

    kind: str
    lora: dict = field(default_factory=dict)
    id: int | None = None
    vocab: tuple[str, ...] = ()  # characters given the vocabulary's free slots (core.models.vocab)


class Encoder:
    """Encodes queries and documents into unit vectors, optionally through a LoRA adapter."""

    def __init__(self, source: ModelSource) -> None:
        folder = ready(source)  # checksums; the e5 folder is built from its file once
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.source = source
        try:
            self.model = SentenceTransformer(str(folder), device="cpu",
                                             local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure is a bad model folder
            raise ModelError(f"cannot load encoder {source.path}: {exc}; choose another "
                             "sentence-transformers model folder") from None
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.adapter: AdapterSpec | None = None
        self._restore: tuple[Any, list[int], Any] | None = None  # tokenizer, slots, rows

    @property
    def id(self) -> str:
        """The base model's identity (adapters are tied to it)."""
        return self.source.id

    @property
    def doc_space_id(self) -> str:
        """Which vectors the stored item vectors must be: base ones unless symmetric-tuned."""
        if self.adapter and self.adapter.kind == "symmetric":
            return f"{self.id}+adapter:{self.adapter.id}"
        return self.id

    # -- adapters (peft LoRA) ---------------------------------------------------------------
    def attach_adapter(self, spec: AdapterSpec, state: dict | None = None) -> None:
        """Wrap the transformer in a fresh LoRA adapter, then load `state` if given."""
        from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

        self.detach_adapter()
        module = self.model[0]
        lora = dict(spec.lora)
        if spec.vocab:
            lora["trainable_token_indices"] = {"word_embeddings": self._teach(spec.vocab)}
        module.model = get_peft_model(module.model, LoraConfig(**lora))
        if state is not None:
            set_peft_model_state_dict(module.model, state)
        module.model.eval()
        self.adapter = spec

    @contextmanager
    def using(self, spec: AdapterSpec | None, state: dict | None = None) -> Iterator[None]:
        """Encode through `spec` (None: the base model) inside the block only: the adapter
        attached before comes back after it, also when the block fails or is cancelled."""
        previous = self.adapter
        saved = _copy(self.adapter_state()) if previous is not None else None
        if spec is None:
            self.detach_adapter()
        else:
            self.attach_adapter(spec, state)
        try:
            yield
        finally:
            self.model.eval()  # a block that trained and failed leaves dropout on
            if previous is None:
                self.detach_adapter()
            else:
                self.attach_adapter(previous, saved)

    def detach_adapter(self) -> None:
        if self.adapter is None:
            return
        module = self.model[0]
        module.model = module.model.unload()
        if self._restore is not None:
            tokenizer, slots, rows = self._restore
            _set_tokenizer(module, tokenizer)
            module.model.get_input_embeddings().weight.data[slots] = rows
            self._restore = None
        self.adapter = None

    def _teach(self, chars: Sequence[str]) -> list[int]:
        """Give `chars` the vocabulary's free slots (undone by detach_adapter)."""
        from core.models.vocab import initial_rows, patched_tokenizer

        module = self.model[0]
        weight = module.model.get_input_embeddings().weight.data
        patched, slots = patched_tokenizer(module.tokenizer, chars)
        self._restore = (module.tokenizer, slots, weight[slots].clone())
        weight[slots] = initial_rows(module.tokenizer, weight, chars[: len(slots)])
        _set_tokenizer(module, patched)
        return slots

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """Texts as this encoder reads them: folded when the adapter taught it characters."""
        if self.adapter is not None and self.adapter.vocab:
            return [fold(t) for t in texts]
        return list(texts)

    def adapter_state(self) -> dict:
        from peft import get_peft_model_state_dict

        return get_peft_model_state_dict(self.model[0].model)

    def trainable_parameters(self) -> list:
        return [p for p in self.model.parameters() if p.requires_grad]

    @contextmanager
    def base_only(self) -> Iterator[None]:
        """Encode with the adapter switched off (the frozen document tower)."""
        context = (self.model[0].model.disable_adapter() if self.adapter is not None
                   else nullcontext())
        with context:
            yield

    @property
    def name(self) -> str:
        return self.source.name

    def _encode(self, texts: Sequence[str], query: bool, batch_size: int,
                progress: Progress | None, cancel: threading.Event | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encode = self.model.encode_query if query else self.model.encode_document
        frozen = not query and self.adapter is not None and self.adapter.kind == "query"
        with self.base_only() if frozen else nullcontext():
            self._fill(out, texts, encode, batch_size, progress, cancel)
        return out

    def _fill(self, out: np.ndarray, texts: Sequence[str], encode: Callable, batch_size: int,
              progress: Progress | None, cancel: threading.Event | None) -> None:
        # Batches of similar length pad little: about twice as fast on mixed-length items.
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            if cancel is not None and cancel.is_set():
                raise Cancelled("embedding cancelled; nothing was changed")
            rows = order[start : start + batch_size]
            batch = self.prepare([texts[i] for i in rows])
            out[rows] = encode(
                batch, batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress("embedding", min(start + batch_size, len(texts)), len(texts))

    def encode_queries(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One call: sentence-transformers sorts by length, so padding is minimal.
        return self.model.encode_query(self.prepare(texts), batch_size=batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False).astype(np.float32)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 32,
                         progress: Progress | None = None,
                         cancel: threading.Event | None = None) -> np.ndarray:
        return self._encode(texts, False, batch_size, progress, cancel)

    def unknown_ratio(self, texts: Sequence[str], base: bool = False) -> float:
        """Share of the texts' tokens the encoder's vocabulary cannot represent ([UNK]);
        `base`: as the base model reads them, without characters an adapter taught it."""
        taught = base and self._restore is not None
        tokenizer = self._restore[0] if taught else self.model.tokenizer  # type: ignore[index]
        unk = getattr(tokenizer, "unk_token_id", None)
        if unk is None or not texts:
            return 0.0
        shown = list(texts) if taught else self.prepare(texts)
        encoded = tokenizer(shown, add_special_tokens=False)["input_ids"]
        total = sum(len(ids) for ids in encoded)
        unknown = sum(ids.count(unk) for ids in encoded)
        return unknown / total if total else 0.0


def _copy(state: dict) -> dict:
    """Weights detached from the live tensors, which training goes on changing."""
    return {k: v.detach().clone() for k, v in state.items()}


def _set_tokenizer(module: Any, tokenizer: Any) -> None:
    """sentence-transformers exposes `tokenizer` read-only, from its `processor`."""
    if module.processor is module.tokenizer:
        module.processor = tokenizer
    else:
        module.processor.tokenizer = tokenizer
