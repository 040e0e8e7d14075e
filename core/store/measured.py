"""Settings measured on a workspace's own vectors and index, with one owner each: the
hybrid fusion weight, the relevance cutoff of grounded answers and how much of the text the
encoder reads. Whatever changes the vectors (a re-embed, another adapter, a restore) forgets
them here, and the next measurement writes them here, so no caller spells the keys.

The fusion weight is decided here alone: what hybrid uses before it is measured
(provisional_weight), the weight calibration on probe queries returns (save_calibration),
the one an adapter's held-out queries chose (adapter_weight, also where activation forgets
it) and forgetting it with the vectors. core.evaluate and core.tune measure and return it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# The keys are named beside the rest of the derived data (a workspace file from elsewhere
# forgets them on open): core.store.derived.
from core.store.derived import FUSION, READING, RELEVANCE
from core.store.protocol import WorkspaceStore

# Hybrid's dense weight before the fill completes and fusion is measured: the middle of the
# weights calibration chose for multilingual-e5 on generated probes (0.3 to 0.5).
PROVISIONAL_DENSE_WEIGHT = 0.4


def fusion(ws: WorkspaceStore) -> dict[str, Any] | None:
    """The measured fusion: {"dense_weight": w, "source": ..., ...}, or None if not yet."""
    value = ws.get_setting(FUSION)
    return value if isinstance(value, dict) else None


def dense_weight(ws: WorkspaceStore) -> float:
    """The measured dense weight of hybrid search; 0 (lexical alone) until measured."""
    return float((fusion(ws) or {}).get("dense_weight", 0.0))


def provisional_weight(ws: WorkspaceStore, made_for_language: Callable[[], bool]) -> float | None:
    """The dense weight hybrid uses until one is measured: PROVISIONAL_DENSE_WEIGHT for an
    encoder made for the workspace's language (`made_for_language`, asked only then), 0
    (lexical alone) for any other; None once measured (the Retriever reads it)."""
    if fusion(ws) is not None:
        return None
    return PROVISIONAL_DENSE_WEIGHT if made_for_language() else 0.0


def _save_fusion(ws: WorkspaceStore, dense_weight: float, source: str, **details: Any) -> None:
    """`source`: "probes" (calibrated on the workspace's own probe queries) or "heldout"
    (chosen by a tuning run on its held-out queries); `details` say for what."""
    ws.set_setting(FUSION, {"dense_weight": dense_weight, "source": source, **details})


def save_calibration(ws: WorkspaceStore, calibration: Mapping[str, Any]) -> None:
    """Record what fusion calibration on probe queries returned (core.evaluate's
    FusionCalibration.as_dict()): its "dense_weight", and the rest as what it was for."""
    details = {k: v for k, v in calibration.items() if k != "dense_weight"}
    _save_fusion(ws, calibration["dense_weight"], "probes", **details)


def adapter_weight(ws: WorkspaceStore, adapter_id: int | None, weight: float | None,
                   **details: Any) -> None:
    """The fusion weight that goes with a newly active adapter: the one its held-out queries
    chose (`weight`), or, when none is known, no weight until it is measured again. Called
    in the transaction that activates the adapter, and again after the re-embedding that
    activation may need (replacing the vectors forgets it)."""
    if weight is None:
        ws.delete_setting(FUSION)
    else:
        _save_fusion(ws, weight, "heldout", adapter=adapter_id, **details)


def relevance(ws: WorkspaceStore) -> dict[str, Any]:
    """The relevance cutoffs of grounded answers ({} until measured): "min_cosine" to answer,
    "confident_cosine" to answer without a caution, and the "encoder" and "probes" they were
    measured with."""
    value = ws.get_setting(RELEVANCE)
    return value if isinstance(value, dict) else {}


def save_relevance(ws: WorkspaceStore, min_cosine: float, confident_cosine: float,
                   encoder_id: str, off_topic: int, probes: str) -> None:
    ws.set_setting(RELEVANCE, {"min_cosine": min_cosine, "confident_cosine": confident_cosine,
                               "encoder": encoder_id, "off_topic": off_topic, "probes": probes})


def forget_vector_measurements(ws: WorkspaceStore) -> None:
    """The vectors were replaced: fusion and relevance were measured on the old ones."""
    ws.delete_setting(FUSION)
    ws.delete_setting(RELEVANCE)


def reading(ws: WorkspaceStore) -> dict[str, Any]:
    """How much of the workspace's text the encoder reads ({} until measured): "ratio" of
    characters the base encoder cannot read, "read_ratio" with the active adapter."""
    value = ws.get_setting(READING)
    return value if isinstance(value, dict) else {}


def save_reading(ws: WorkspaceStore, encoder_id: str, ratio: float, read_ratio: float) -> None:
    ws.set_setting(READING, {"encoder": encoder_id, "ratio": ratio, "read_ratio": read_ratio})
