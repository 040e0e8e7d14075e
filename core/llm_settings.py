"""A workspace's LLM settings: context size and threads, checked before they are stored."""

from __future__ import annotations

from core.errors import PatentDeskError
from core.store import Workspace

CTX_DEFAULT = 4096
CTX_RANGE = (1024, 32768)  # below ~1k tokens not even one source fits beside the reply


def options(ws: Workspace) -> dict[str, int]:
    """The LLM's context size and threads (0 = all cores)."""
    return {"n_ctx": int(ws.get_setting("llm.n_ctx") or CTX_DEFAULT),
            "n_threads": int(ws.get_setting("llm.n_threads") or 0)}


def set_options(ws: Workspace, n_ctx: int, n_threads: int) -> None:
    low, high = CTX_RANGE
    if not low <= n_ctx <= high:
        raise PatentDeskError(f"context size must be {low} to {high} tokens, not {n_ctx}")
    if not 0 <= n_threads <= 256:
        raise PatentDeskError(f"threads must be 0 (all cores) to 256, not {n_threads}")
    ws.set_setting("llm.n_ctx", n_ctx)
    ws.set_setting("llm.n_threads", n_threads)
