"""Adapters as workspace artifacts: serialising LoRA weights, listing, (de)activating."""

from __future__ import annotations

from typing import Any

from core.errors import PatentDeskError
from core.models.encoder import AdapterSpec, Encoder
from core.models.light import LightEncoder, Unsupported
from core.models.registry import ModelSource
from core.store import WorkspaceStore, measured
from core.store.tuning import AdapterInfo, AdapterStore


def dump_weights(state: dict[str, Any]) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().cpu().contiguous() for k, v in state.items()})


def load_weights(blob: bytes) -> dict[str, Any]:
    from safetensors.torch import load

    return load(blob)


def stored(ws: WorkspaceStore, info: AdapterInfo) -> tuple[AdapterSpec, dict[str, Any]]:
    """A stored adapter's spec and weights (from the workspace file), for Encoder.using."""
    spec = AdapterSpec(info.kind, info.config["lora"], info.id,
                       tuple(info.config.get("vocab", ())))
    return spec, load_weights(AdapterStore(ws).weights(info.id))


def attach_stored(encoder: Encoder, ws: WorkspaceStore, info: AdapterInfo) -> None:
    """Put a stored adapter on the encoder, to stay: the workspace's active one."""
    encoder.attach_adapter(*stored(ws, info))


def light_encoder(ws: WorkspaceStore, source: ModelSource, info: AdapterInfo | None
                  ) -> LightEncoder | None:
    """The numpy engine for the encoder with the active adapter merged in, or None where only
    the full Encoder can run them (another architecture, an adapter that taught characters)."""
    from safetensors.numpy import load

    try:
        if info is None:
            return LightEncoder(source)
        if info.config.get("vocab"):
            return None
        return LightEncoder(source, (info.id, info.kind), info.config["lora"],
                            load(AdapterStore(ws).weights(info.id)))
    except Unsupported:
        return None


def list_adapters(ws: WorkspaceStore) -> list[AdapterInfo]:
    return AdapterStore(ws).list()


def activate(ws: WorkspaceStore, adapter_id: int | None) -> AdapterInfo | None:
    """Make one adapter (or, with None, none) active, in one transaction.

    Symmetric adapters change the item vectors; the caller re-embeds (Desk.ensure_vectors)."""
    store = AdapterStore(ws)
    info = None
    if adapter_id is not None:
        info = store.get(adapter_id)
        if info is None:
            known = ", ".join(str(a.id) for a in store.list()) or "none yet"
            raise PatentDeskError(f"no adapter {adapter_id} in workspace '{ws.name}' "
                                  f"(adapters: {known}); see: patent-desk adapters list")
    with ws.transaction():
        store.set_active(adapter_id)
        measured.adapter_weight(ws, adapter_id, None)
    return info
