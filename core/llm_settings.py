"""A workspace's LLM settings: which model answers (the server at its URL, or a local GGUF),
its context size and threads, checked before they are stored."""

from __future__ import annotations

import os

from core.errors import PatentDeskError
from core.models import ModelSource, llm_source
from core.models.llm import LocalLLM
from core.models.remote_llm import URL_ENV, RemoteLLM
from core.store import WorkspaceStore

LLM = LocalLLM | RemoteLLM

CTX_DEFAULT = 4096
CTX_RANGE = (1024, 32768)  # below ~1k tokens not even one source fits beside the reply


def options(ws: WorkspaceStore) -> dict[str, int]:
    """The LLM's context size and threads (0 = all cores)."""
    return {"n_ctx": int(ws.get_setting("llm.n_ctx") or CTX_DEFAULT),
            "n_threads": int(ws.get_setting("llm.n_threads") or 0)}


def set_options(ws: WorkspaceStore, n_ctx: int, n_threads: int) -> None:
    low, high = CTX_RANGE
    if not low <= n_ctx <= high:
        raise PatentDeskError(f"context size must be {low} to {high} tokens, not {n_ctx}")
    if not 0 <= n_threads <= 256:
        raise PatentDeskError(f"threads must be 0 (all cores) to 256, not {n_threads}")
    ws.set_setting("llm.n_ctx", n_ctx)
    ws.set_setting("llm.n_threads", n_threads)


def url(ws: WorkspaceStore) -> str | None:
    """The OpenAI-compatible server answering for this workspace, or None for the model on
    this computer: PATENT_DESK_LLM_URL wins over the workspace's setting."""
    return os.environ.get(URL_ENV) or ws.get_setting("llm.url") or None


def load_local(ws: WorkspaceStore, source: ModelSource) -> LocalLLM:
    chosen = options(ws)
    return LocalLLM(source, n_ctx=chosen["n_ctx"], n_threads=chosen["n_threads"] or None)


def load(ws: WorkspaceStore) -> LLM:
    """The workspace's LLM: its server, or its local model (loaded, so checked)."""
    server = url(ws)
    if server:
        return RemoteLLM(server, n_ctx=options(ws)["n_ctx"])
    return load_local(ws, llm_source(ws.get_setting("models.llm")))


def set_url(ws: WorkspaceStore, server: str | None) -> RemoteLLM | None:
    """Use the server at `server` (reached first: an unreachable one is refused and the
    setting stays as it was), or with None the model on this computer again."""
    if not server:
        ws.delete_setting("llm.url")
        return None
    llm = RemoteLLM(server, n_ctx=options(ws)["n_ctx"])
    ws.set_setting("llm.url", llm.url)
    return llm
