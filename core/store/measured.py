"""Settings measured on a workspace's own vectors and index, with one owner each: the
hybrid fusion weight, the relevance cutoff of grounded answers and how much of the text the
encoder reads. Whatever changes the vectors (a re-embed, another adapter, a restore) forgets
them here, and the next measurement writes them here, so no caller spells the keys."""

from __future__ import annotations

from typing import Any

# The keys are named beside the rest of the derived data (a workspace file from elsewhere
# forgets them on open): core.store.derived.
from core.store.derived import FUSION, READING, RELEVANCE
from core.store.workspace import Workspace


def fusion(ws: Workspace) -> dict[str, Any] | None:
    """The measured fusion: {"dense_weight": w, "source": ..., ...}, or None if not yet."""
    value = ws.get_setting(FUSION)
    return value if isinstance(value, dict) else None


def dense_weight(ws: Workspace) -> float:
    """The measured dense weight of hybrid search; 0 (lexical alone) until measured."""
    return float((fusion(ws) or {}).get("dense_weight", 0.0))


def save_fusion(ws: Workspace, dense_weight: float, source: str, **details: Any) -> None:
    """`source`: "probes" (calibrated on the workspace's own probe queries) or "heldout"
    (chosen by a tuning run on its held-out queries); `details` say for what."""
    ws.set_setting(FUSION, {"dense_weight": dense_weight, "source": source, **details})


def relevance(ws: Workspace) -> dict[str, Any]:
    """The relevance cutoff of grounded answers ({} until measured): "min_cosine", and the
    "encoder" it was measured for."""
    value = ws.get_setting(RELEVANCE)
    return value if isinstance(value, dict) else {}


def save_relevance(ws: Workspace, min_cosine: float, encoder_id: str, off_topic: int) -> None:
    ws.set_setting(RELEVANCE, {"min_cosine": min_cosine, "encoder": encoder_id,
                               "off_topic": off_topic})


def forget_fusion(ws: Workspace) -> None:
    """The dense channel changed (another adapter): the weight must be measured again."""
    ws.delete_setting(FUSION)


def forget_vector_measurements(ws: Workspace) -> None:
    """The vectors were replaced: fusion and relevance were measured on the old ones."""
    ws.delete_setting(FUSION)
    ws.delete_setting(RELEVANCE)


def reading(ws: Workspace) -> dict[str, Any]:
    """How much of the workspace's text the encoder reads ({} until measured): "ratio" of
    characters the base encoder cannot read, "read_ratio" with the active adapter."""
    value = ws.get_setting(READING)
    return value if isinstance(value, dict) else {}


def save_reading(ws: Workspace, encoder_id: str, ratio: float, read_ratio: float) -> None:
    ws.set_setting(READING, {"encoder": encoder_id, "ratio": ratio, "read_ratio": read_ratio})
