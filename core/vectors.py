"""The vector fill: item vectors computed behind the lexical index, batch by batch.

An import stores items with their lexical index in one transaction, so search answers at
once. The dense channel joins as this fill commits vectors: each batch in its own short
transaction, so a kill or Cancel loses at most one batch, and the next fill resumes where
this one stopped. Every batch is checked at commit against the identity the workspace's
vectors carry (`vectors.encoder`, the encoder's id with its adapter): vectors computed by an
encoder that is no longer the workspace's are never stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.errors import Cancelled, PatentDeskError
from core.models.registry import ModelSource, fingerprint
from core.progress import Progress
from core.records import Item, document_text
from core.store import WorkspaceStore, measured

STAGE = "semantic search"
# Small enough that a Cancel, or a question asked meanwhile, waits a fraction of a second;
# large enough that a commit per batch costs nothing measurable.
BATCH = 64
# Items read at once and embedded shortest first, so that each batch pads little: batches of
# random lengths padded every text to the longest of 64. The demo's fill went from 0.68 to
# 1.00 of raw encoding speed (docs/benchmarks.md, `python -m tests.benchmarks --quick`).
WINDOW = 1024


# The sha256 of the weights that made the stored vectors (core.models.registry.fingerprint):
# a local encoder folder whose files changed keeps its path, and so its id.
FINGERPRINT = "vectors.encoder_sha256"


class DocumentEncoder(Protocol):
    dim: int
    doc_space_id: str
    source: ModelSource

    def encode_documents(self, texts: list[str], batch_size: int = ..., progress: object = ...,
                         cancel: threading.Event | None = ...) -> np.ndarray: ...


@dataclass(frozen=True)
class FillState:
    """How many items carry a vector of the workspace's encoder."""

    done: int
    total: int

    @property
    def share(self) -> float:
        return 1.0 if self.total == 0 else min(self.done / self.total, 1.0)

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    def describe(self) -> str:
        """'semantic search: 40% ready', as the CLI and the window say it."""
        return f"{STAGE}: {int(100 * self.share)}% ready"


def fill_state(ws: WorkspaceStore, space_id: str) -> FillState:
    """The fill's progress for vectors of `space_id` (other vectors count as none)."""
    total = ws.count_items()
    if ws.vector_dim() is None or ws.vector_encoder() != space_id:
        return FillState(0, total)
    return FillState(min(ws.count_vectors(), total), total)


def off_reason(ws: WorkspaceStore, space: str | Exception, weights: str | None = None
               ) -> str | None:
    """Why the dense channel is off altogether, or None: the workspace's encoder cannot be
    loaded here (`space` is that error), or its vectors were made by another encoder, or by
    other weights (`weights`: this computer's fingerprint of the encoder)."""
    if isinstance(space, Exception):
        return f"semantic search is off ({space}); search uses word matching meanwhile"
    stored = ws.vector_encoder()
    if ws.vector_dim() is None:
        return None
    made_with = ws.get_setting(FINGERPRINT)
    if stored == space and weights and made_with and made_with != weights:
        return (f"semantic search is off: the encoder {space} has other weights than the ones "
                f"that made this workspace's vectors (sha256 {made_with[:12]}…, now "
                f"{weights[:12]}…); embed again with it (patent-desk embed --re-embed "
                f"--workspace {ws.name}), or put the earlier model files back")
    if stored == space:
        return None
    return (f"semantic search is off: this workspace's vectors were made by {stored}, and "
            f"this computer uses {space}; install that encoder here, or embed again with this "
            f"one (patent-desk embed --re-embed --workspace {ws.name}; every seat sharing the "
            "workspace then needs it)")


def fill_note(ws: WorkspaceStore, state: FillState) -> str:
    return (f"{state.describe()} ({state.done} of {state.total} entries embedded); results "
            "come from word matching and the part embedded so far (to finish now: "
            f"patent-desk embed --workspace {ws.name})")


class StaleEncoder(PatentDeskError):
    """The workspace's vectors changed encoder while a batch was being embedded."""


def fill_missing(ws: WorkspaceStore, encoder: DocumentEncoder, ids: Sequence[int] | None = None,
                 progress: Progress | None = None, cancel: threading.Event | None = None,
                 batch: int = BATCH) -> int:
    """Embed the items that have no vector (only those of `ids`, when given) and store them,
    one committed batch at a time; returns how many vectors were stored. The workspace's
    vectors must be `encoder`'s, or none yet. Cancel stops between batches: every batch
    committed so far stays, and raises Cancelled."""
    missing = ws.ids_without_vectors()
    if ids is not None:
        wanted = set(ids)
        missing = [i for i in missing if i in wanted]
    total = ws.count_items()
    done = total - len(missing) if ids is None else 0
    goal = total if ids is None else len(missing)
    stored = 0
    weights = fingerprint(encoder.source)  # each batch is committed only under these weights

    def stopped() -> Cancelled:
        return Cancelled(f"{STAGE} stopped after {stored} new vectors (kept); the next fill "
                         "goes on from there")

    for items in _shortest_first(ws, missing, batch):
        if cancel is not None and cancel.is_set():
            raise stopped()
        if progress is not None:
            progress(STAGE, done + stored, goal)
        texts = [document_text(it) for it in items]
        try:
            vectors = encoder.encode_documents(texts, cancel=cancel) if texts else None
        except Cancelled:
            raise stopped() from None
        with ws.transaction():
            if ws.vector_dim() is None:
                ws.reset_vectors(encoder.dim, encoder.doc_space_id)
                ws.set_setting(FINGERPRINT, weights)
            elif ws.vector_encoder() != encoder.doc_space_id:
                raise StaleEncoder(f"the workspace's encoder changed to "
                                   f"{ws.vector_encoder()}; these vectors were not stored")
            elif ws.get_setting(FINGERPRINT) not in (None, weights):
                # the same name and path, other weights (another seat's files, or replaced)
                raise StaleEncoder("the workspace's vectors were made by other weights of "
                                   f"{encoder.doc_space_id} (sha256 "
                                   f"{str(ws.get_setting(FINGERPRINT))[:12]}); these "
                                   "vectors were not stored")
            # Store a vector only for the text it embeds: an item edited meanwhile stays
            # without one, for the next fill to embed with its new text.
            now = {it.id: document_text(it) for it in ws.get_items([it.id for it in items])}
            keep = [n for n, it in enumerate(items) if now.get(it.id) == texts[n]]
            if keep and vectors is not None:
                ws.put_vectors([items[n].id for n in keep], vectors[keep])
        stored += len(keep)
    if progress is not None and missing:
        progress(STAGE, done + stored, goal)
    return stored


def _shortest_first(ws: WorkspaceStore, ids: Sequence[int], batch: int) -> Iterator[list[Item]]:
    """The items of `ids` in batches, each WINDOW of them ordered by text length. Items are
    read a window ahead: one deleted or edited meanwhile is caught at commit (fill_missing
    stores a vector only for the text it embedded)."""
    for start in range(0, len(ids), WINDOW):
        window = sorted(ws.get_items(ids[start:start + WINDOW]),  # deleted: left out
                        key=lambda it: len(document_text(it)))
        for first in range(0, len(window), batch):
            yield window[first:first + batch]


def replace_vectors(ws: WorkspaceStore, encoder: DocumentEncoder, progress: Progress | None = None,
                    cancel: threading.Event | None = None,
                    also: Callable[[], None] | None = None) -> bool:
    """Embed every item with `encoder` outside any transaction (search goes on with the old
    vectors), then swap all vectors at once, running `also` in the same transaction. Cancel
    raises before anything is written. Returns False when, without `also`, another window
    or process had swapped to this encoder meanwhile (nothing was done)."""
    ids = ws.item_ids()
    texts = [document_text(it) for it in ws.get_items(ids)]
    vectors = encoder.encode_documents(texts, progress=progress, cancel=cancel)
    weights = fingerprint(encoder.source)
    with ws.transaction():
        if (also is None and ws.vector_encoder() == encoder.doc_space_id
                and ws.get_setting(FINGERPRINT) in (None, weights)):
            return False
        ws.reset_vectors(encoder.dim, encoder.doc_space_id)
        ws.set_setting(FINGERPRINT, weights)
        ws.put_vectors(ids, vectors)
        late = ws.get_items(ws.ids_without_vectors())  # imported meanwhile
        if late:
            ws.put_vectors([it.id for it in late], encoder.encode_documents(
                [document_text(it) for it in late]))
        measured.forget_vector_measurements(ws)
        if also is not None:
            also()
    return True
