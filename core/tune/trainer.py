"""LoRA training of the encoder with a contrastive loss (peft + sentence-transformers).

Query-side (the default): the document tower is frozen, so every item's stored vector is the
fixed target and nothing is re-embedded after tuning. The loss is MultipleNegativesRanking-
Loss's: cross-entropy of the query against its gold item, the batch's other gold items and
its own mined negatives, computed against the stored vectors (a plain loop: the trainer
of sentence-transformers would re-encode the frozen items at every step).
Symmetric: both towers go through the adapter; items are re-encoded for each batch.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from core.errors import Cancelled
from core.evaluate import Metrics, metrics
from core.models.encoder import AdapterSpec, Encoder
from core.progress import Progress


@dataclass(frozen=True)
class TrainConfig:
    kind: str = "query"
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    temperature: float = 0.05
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    patience: int = 1
    seed: int = 13
    teach_vocab: bool = True  # symmetric only: free vocabulary slots for unknown characters
    token_lr: float = 1e-2  # the new characters' embedding rows start from nothing: learn fast

    def lora(self) -> dict:
        return {"r": self.lora_r, "lora_alpha": self.lora_alpha,
                "lora_dropout": self.lora_dropout, "target_modules": list(self.target_modules)}


@dataclass
class TrainResult:
    state: dict
    best_epoch: int
    heldout: Metrics
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    examples: int = 0


CHUNK = 16  # texts per forward pass, grouped by length


def _embed(encoder: Encoder, texts: list[str], role: str) -> torch.Tensor:
    """Embeddings (with gradients) in the order of `texts`, with the model's prompt for
    `role` ("query" or "document"), as encode_query / encode_document add it at search time.

    A batch padded to its longest text wastes most of its compute here (TIPO questions: the
    padded batch is 2.7x the real tokens), so texts go through in chunks of similar length
    and are put back in order: the same vectors and gradients for about half the work."""
    prepared = encoder.prepare(texts)
    prompt = encoder.model.prompts.get(role) or None
    order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
    parts = []
    for start in range(0, len(order), CHUNK):
        chunk = [prepared[i] for i in order[start : start + CHUNK]]
        features = encoder.model.preprocess(chunk, prompt=prompt)
        parts.append(encoder.model(features)["sentence_embedding"])
    out = torch.cat(parts)[torch.argsort(torch.tensor(order))]
    return torch.nn.functional.normalize(out, dim=-1)


def heldout_metrics(encoder: Encoder, docs: np.ndarray, queries: Sequence[str],
                    gold: Sequence[int]) -> Metrics:
    """Dense retrieval over the document matrix (rows = items) for held-out queries."""
    if not queries:
        return metrics([])
    vectors = encoder.encode_queries(list(queries))
    order = np.argsort(-(vectors @ docs.T), axis=1)[:, :10]
    return metrics([int(np.where(row == g)[0][0]) + 1 if g in row else None
                    for row, g in zip(order, gold, strict=True)])


def train_adapter(encoder: Encoder, docs: np.ndarray, doc_texts: Sequence[str],
                  train: Sequence[tuple[str, int]], negatives: Sequence[Sequence[int]],
                  heldout: Sequence[tuple[str, int]], config: TrainConfig,
                  progress: Progress | None = None,
                  cancel: threading.Event | None = None,
                  vocab: Sequence[str] = ()) -> TrainResult:
    """Train a fresh adapter; gold and negatives are row indexes into `docs`/`doc_texts`.

    `vocab`: characters to teach the encoder (symmetric only: items must be re-read too).
    Keeps the epoch that retrieves the held-out queries best (early stopping)."""
    torch.manual_seed(config.seed)
    started = time.monotonic()
    # A fresh adapter for this run only: the encoder comes back as it was given, also
    # on Cancel or a failure, and the weights leave as snapshots (TrainResult.state).
    with encoder.using(AdapterSpec(config.kind, config.lora(), vocab=tuple(vocab))):
        result = _train(encoder, docs, doc_texts, train, negatives, heldout, config,
                        progress, cancel)
    result.seconds = time.monotonic() - started
    result.examples = len(train)
    return result


def _checkpointing(encoder: Encoder, on: bool) -> None:
    """Recompute each layer's activations in the backward pass instead of keeping them for it.

    A batch's kept activations were the largest allocation of a tuning run: with
    multilingual-e5 (1,536-wide intermediate layers, LoRA dropout copies of every adapted
    layer's input) one step of 32 questions held about 1.3 GB, and `tune` peaked at 2.4 GB
    (issue #18 asks 2 GB for any action). Recomputing them costs more time per step and
    changes no gradient (the non-reentrant variant replays dropout's random state);
    `python -m tests.benchmarks.checkpointing` measures both."""
    model = encoder.model[0].auto_model
    if on:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers 5.x's name
            model.activation_checkpointing_enable(
                activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        disable = (getattr(model, "activation_checkpointing_disable", None)
                   or model.gradient_checkpointing_disable)
        disable()


def _train(encoder: Encoder, docs: np.ndarray, doc_texts: Sequence[str],
           train: Sequence[tuple[str, int]], negatives: Sequence[Sequence[int]],
           heldout: Sequence[tuple[str, int]], config: TrainConfig,
           progress: Progress | None, cancel: threading.Event | None) -> TrainResult:
    _checkpointing(encoder, True)
    try:
        return _train_checkpointed(encoder, docs, doc_texts, train, negatives, heldout,
                                   config, progress, cancel)
    finally:
        _checkpointing(encoder, False)


def _train_checkpointed(encoder: Encoder, docs: np.ndarray, doc_texts: Sequence[str],
                        train: Sequence[tuple[str, int]], negatives: Sequence[Sequence[int]],
                        heldout: Sequence[tuple[str, int]], config: TrainConfig,
                        progress: Progress | None, cancel: threading.Event | None
                        ) -> TrainResult:
    named = [(n, p) for n, p in encoder.model.named_parameters() if p.requires_grad]
    tokens = [p for n, p in named if "trainable_tokens" in n]
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in named if "trainable_tokens" not in n], "lr": config.lr},
        {"params": tokens, "lr": config.token_lr, "weight_decay": 0.0}])
    if config.kind == "symmetric":
        docs = _encode_docs(encoder, doc_texts)
    doc_matrix = torch.from_numpy(np.ascontiguousarray(docs, dtype=np.float32))
    order = list(range(len(train)))
    steps_per_epoch = (len(order) + config.batch_size - 1) // config.batch_size
    total = steps_per_epoch * config.epochs
    h_texts, h_gold = [q for q, _ in heldout], [g for _, g in heldout]
    best = heldout_metrics(encoder, docs, h_texts, h_gold)
    result = TrainResult(_snapshot(encoder), 0, best, [{"epoch": 0, "heldout_mrr": best.mrr10}])
    step, stale = 0, 0
    for epoch in range(1, config.epochs + 1):
        random.Random(config.seed + epoch).shuffle(order)
        encoder.model.train()
        for start in range(0, len(order), config.batch_size):
            if cancel is not None and cancel.is_set():
                raise Cancelled("tuning cancelled; the active model was not changed")
            batch = order[start : start + config.batch_size]
            loss = _step_loss(encoder, doc_matrix, doc_texts, train, negatives, batch, config)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if progress:
                progress("training", step, total)
        encoder.model.eval()
        if config.kind == "symmetric":
            docs = _encode_docs(encoder, doc_texts)
        score = heldout_metrics(encoder, docs, h_texts, h_gold)
        result.history.append({"epoch": epoch, "loss": round(float(loss.detach()), 4),
                               "heldout_mrr": score.mrr10})
        if score.mrr10 > result.heldout.mrr10:
            result.state, result.best_epoch, result.heldout = _snapshot(encoder), epoch, score
            stale = 0
        else:
            stale += 1
            if stale > config.patience:
                break
    return result


def _encode_docs(encoder: Encoder, doc_texts: Sequence[str]) -> np.ndarray:
    with torch.no_grad():
        return encoder.encode_documents(list(doc_texts))


def _snapshot(encoder: Encoder) -> dict:
    """A copy of the adapter's weights (the live tensors keep changing while training)."""
    return {k: v.detach().clone() for k, v in encoder.adapter_state().items()}


def _step_loss(encoder: Encoder, doc_matrix: torch.Tensor, doc_texts: Sequence[str],
               train: Sequence[tuple[str, int]], negatives: Sequence[Sequence[int]],
               batch: list[int], config: TrainConfig) -> torch.Tensor:
    queries = _embed(encoder, [train[i][0] for i in batch], "query")
    gold = [train[i][1] for i in batch]
    candidates = list(dict.fromkeys(gold + [n for i in batch for n in negatives[i]]))
    if config.kind == "symmetric":
        targets = _embed(encoder, [doc_texts[c] for c in candidates], "document")
    else:
        targets = doc_matrix[candidates]
    logits = queries @ targets.T / config.temperature
    position = {c: n for n, c in enumerate(candidates)}
    labels = torch.tensor([position[g] for g in gold])
    # Each query competes against in-batch golds and its own negatives, not others'.
    allowed = torch.zeros_like(logits, dtype=torch.bool)
    for row, i in enumerate(batch):
        allowed[row, [position[g] for g in gold]] = True
        allowed[row, [position[n] for n in negatives[i]]] = True
    logits = logits.masked_fill(~allowed, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, labels)
