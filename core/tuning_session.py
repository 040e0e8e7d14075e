"""Tuning, adapter switches and evaluation of one open workspace: what core.desk.Desk runs
for `tune`, `adapters activate` and `eval` (the Improve page calls the same through Desk).

Kept apart from the Desk, which opens the workspace and holds its models; these functions
reach it only through the small OpenDesk protocol below."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Protocol

from core.errors import ModelError, PatentDeskError, WorkspaceError
from core.evaluate import evaluate_retrievers, load_eval_queries
from core.glossary import Glossary
from core.ingest import question_key
from core.models import llm_source
from core.models.encoder import Encoder
from core.models.llm import LocalLLM
from core.models.remote_llm import RemoteLLM
from core.progress import Progress
from core.records import document_text
from core.retrieve import Retriever
from core.store import WorkspaceStore, measured
from core.store.tuning import AdapterStore
from core.tune import dataset
from core.tune.adapters import activate, stored
from core.tune.dataset import QueryReport, llm_fits

if TYPE_CHECKING:
    from core.tune.loop import TuneOptions, TuneReport


class OpenDesk(Protocol):
    ws: WorkspaceStore
    progress: Progress | None
    cancel: threading.Event | None

    @property
    def encoder(self) -> Encoder: ...
    @property
    def llm(self) -> LocalLLM | RemoteLLM: ...
    @property
    def glossary(self) -> Glossary: ...
    def llm_url(self) -> str | None: ...
    def ensure_vectors(self) -> None: ...
    def require_vectors(self) -> None: ...
    def refresh_quality(self) -> object: ...
    def measure_reading(self) -> None: ...
    def languages(self) -> list[str]: ...


def require_items(desk: OpenDesk) -> None:
    if desk.ws.count_items() == 0:
        raise WorkspaceError(
            f"workspace '{desk.ws.name}' is empty; import a spreadsheet first "
            f"(patent-desk import FILE --workspace {desk.ws.name})")


def tune(desk: OpenDesk, options: TuneOptions | None = None, llm_angles: str = "auto"
         ) -> TuneReport:
    """The one-click loop. llm_angles: 'auto' (only when the LLM fits the workspace's
    language), 'on' or 'off'. Options default to `default_tune_options()`."""
    from core.tune.loop import run_tune  # torch: loaded only when tuning

    require_items(desk)
    desk.require_vectors()
    ws = desk.ws
    llm, skipped = _angle_writer(desk, llm_angles)
    report = run_tune(ws, desk.encoder, options or default_tune_options(desk), llm,
                      desk.progress, desk.cancel)
    report.queries.llm_skipped = skipped or report.queries.llm_skipped
    desk.ensure_vectors()  # a new symmetric adapter re-reads the items
    if report.activated:  # re-embedding forgot the fusion weight measured on held-out
        measured.adapter_weight(ws, report.adapter_id, report.fusion_weight)
        desk.measure_reading()  # the adapter may have taught the encoder characters
    return report


def _angle_writer(desk: OpenDesk, llm_angles: str) -> tuple[LocalLLM | RemoteLLM | None,
                                                             str | None]:
    """The LLM that writes query angles, or None with the reason it does not."""
    llm, skipped = None, None
    if llm_angles == "auto" and not desk.llm_url():  # a served model is the user's choice
        skipped = llm_fits(llm_source(desk.ws.get_setting("models.llm")), desk.ws)
    if llm_angles != "off" and not skipped:
        try:
            llm = desk.llm
        except ModelError as exc:  # no LLM here (it crashed, or the CPU is too old)
            skipped = f"LLM angles skipped (rule-based angles were used): {exc}"
    return llm, skipped


def prepare_queries(desk: OpenDesk, llm_budget_s: float | None = dataset.LLM_BUDGET_S
                    ) -> QueryReport:
    """Write the training queries the next `tune` uses, without training: rule-based
    angles for every new or changed item, LLM angles (when the LLM fits the workspace)
    for as many items as `llm_budget_s` allows. Stored and resumable, so the window runs
    this in the background after an import and one click of Improve retrieval finds them
    there. Cancel keeps what was written."""
    require_items(desk)
    llm, skipped = _angle_writer(desk, "auto")
    # tune's own settings (core.tune.dataset): the same queries and split a click would make
    report = dataset.build_queries(desk.ws, dataset.PER_ANGLE, llm, dataset.LLM_K, None,
                                   dataset.HELDOUT, desk.progress, desk.cancel,
                                   llm_budget_s=llm_budget_s)
    report.llm_skipped = skipped or report.llm_skipped
    return report


def default_tune_options(desk: OpenDesk, kind: str = "auto") -> TuneOptions:
    """What one click runs: see core.tune.loop.options_for. On a shared store 'auto' stays
    query-side: a symmetric adapter would re-embed every seat's vectors, which is for the
    user to choose explicitly (`tune --kind symmetric --yes`), never a default."""
    from core.tune.loop import options_for

    if kind == "auto" and desk.ws.path is None:
        kind = "query"
    if not measured.reading(desk.ws):
        desk.refresh_quality()
    ratio = measured.reading(desk.ws).get("ratio", 0.0)
    return options_for(kind, ratio)


def activate_adapter(desk: OpenDesk, adapter_id: int | None) -> None:
    """Switch to an adapter (None: the base encoder); re-embeds if it is symmetric."""
    info = activate(desk.ws, adapter_id)
    desk.ensure_vectors()
    desk.measure_reading()
    weight = info.metrics.get("fusion_weight") if info else None
    if weight is not None:
        measured.adapter_weight(desk.ws, info.id if info else None, weight)
    else:
        desk.refresh_quality()


def evaluate(desk: OpenDesk, queries_file: str, adapter: str | None = None
             ) -> dict[str, object]:
    """Metrics on a JSONL query file; adapter None = the active one, 'none' = base. A
    temporary switch of adapter is undone before returning."""
    require_items(desk)
    desk.require_vectors()
    ws = desk.ws
    items = list(ws.iter_items())
    queries, unknown = load_eval_queries(
        queries_file, {question_key(i.question): i.id for i in items}, {i.id for i in items})
    encoder, weight = desk.encoder, None
    active = encoder.adapter.id if encoder.adapter else None
    switch: AbstractContextManager[None] = nullcontext()
    if adapter is not None:
        wanted = None if adapter == "none" else _adapter_number(adapter)
        info = AdapterStore(ws).get(wanted) if wanted is not None else None
        if wanted is not None and info is None:
            raise PatentDeskError(f"no adapter {adapter}; see: patent-desk adapters list")
        if wanted != active:
            switch = encoder.using(*stored(ws, info)) if info else encoder.using(None)
            # The base is measured at the weight its own held-out queries chose when the
            # active adapter was trained (the workspace's weight is that adapter's now).
            source = info or (AdapterStore(ws).get(active) if active is not None else None)
            key = "fusion_weight" if info else "base_fusion_weight"
            weight = source.metrics.get(key) if source else None
    with switch:  # the active adapter comes back after it
        used = encoder.adapter.id if encoder.adapter else None
        documents = None
        if encoder.doc_space_id != ws.vector_encoder():
            # The stored vectors belong to another (symmetric) adapter: read the items
            # with this one in memory, leaving the index as it is.
            ids = ws.item_ids()
            texts = [document_text(it) for it in ws.get_items(ids)]
            documents = (ids, encoder.encode_documents(texts, progress=desk.progress,
                                                       cancel=desk.cancel))
        retriever = Retriever(ws, encoder, weight, documents, desk.glossary,
                              desk.languages())
        result = evaluate_retrievers(retriever, queries)
    return {"n": len(queries), "unknown_gold": unknown, "adapter": used,
            "dense_weight": retriever.dense_weight(), **result}


def _adapter_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PatentDeskError(f"adapter must be a number or 'none', not {value!r}") from None
