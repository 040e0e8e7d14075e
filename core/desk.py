"""One open workspace with its models: the single entry point the CLI and the GUI share.

Models load lazily (the encoder costs seconds, the LLM more) and only once per Desk.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core import answer as answering
from core import library, logs, paths
from core.errors import ModelError, PatentDeskError, WorkspaceError
from core.evaluate import (
    FusionCalibration,
    calibrate_fusion,
    calibrate_relevance,
    evaluate_retrievers,
    load_eval_queries,
)
from core.glossary import Glossary, load_glossary
from core.ingest import question_key
from core.ingest.importer import import_file
from core.models import ModelSource, encoder_source, llm_source
from core.models.catalogue import ENCODERS
from core.models.encoder import Encoder
from core.models.llm import LocalLLM
from core.models.registry import BUNDLED_PREFIX
from core.models.remote_llm import URL_ENV, RemoteLLM
from core.records import ImportReport, ImportSource, Item
from core.retrieve import Hit, Retriever, corpus_languages
from core.store import open_workspace
from core.store.tuning import AdapterInfo, AdapterStore
from core.tune.adapters import activate, attach_stored
from core.tune.dataset import llm_fits
from core.workspaces import workspace_exists

if TYPE_CHECKING:
    from core.tune.loop import TuneOptions, TuneReport

LLM = LocalLLM | RemoteLLM

Progress = Callable[[str, int, int], None]
DEMO = "demo"
UNKNOWN_WARN_RATIO = 0.2
LLM_CTX_DEFAULT = 4096
_KEEP = object()  # _replace_vectors: leave the encoder setting as it is
LLM_CTX_RANGE = (1024, 32768)  # below ~1k tokens not even one source fits beside the reply


class Desk:
    def __init__(self, workspace: str = "default", progress: Progress | None = None,
                 cancel: threading.Event | None = None, encoder: Encoder | None = None,
                 llm: LLM | None = None) -> None:
        """`encoder`/`llm`: already-loaded models to share (they must be the ones the
        workspace's settings name); by default each loads on first use."""
        seed_demo = workspace == DEMO and not workspace_exists(DEMO)
        self.ws = open_workspace(workspace)
        self.progress = progress
        self.cancel = cancel
        self._encoder = encoder
        self._llm = llm
        self._languages: tuple[int, list[str]] | None = None  # (item count, languages)
        self._keep_embedded_encoder()
        if seed_demo:
            self.import_files(paths.demo_files())

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models -----------------------------------------------------------------------------
    def _keep_embedded_encoder(self) -> None:
        """A workspace embedded with a bundled encoder that is no longer the default keeps it:
        following the new default would silently re-embed it and orphan its adapters.
        Moving to the new one is the user's explicit choice (set_model)."""
        if self.ws.get_setting("models.encoder") is not None:
            return
        embedded = (self.ws.vector_encoder() or "").split("+adapter:")[0]
        name = embedded.removeprefix(BUNDLED_PREFIX)
        if (embedded.startswith(BUNDLED_PREFIX) and name in ENCODERS
                and embedded != encoder_source(None).id):
            self.ws.set_setting("models.encoder", embedded)

    @functools.cached_property
    def _glossary_loaded(self) -> tuple[Glossary, str | None]:
        return load_glossary()

    @property
    def glossary(self) -> Glossary:
        """Terms that let an English question search a Chinese workspace (and back)."""
        return self._glossary_loaded[0]

    @property
    def glossary_problem(self) -> str | None:
        """What is wrong with the agency's own glossary file, if anything."""
        return self._glossary_loaded[1]

    @property
    def encoder(self) -> Encoder:
        """The workspace's encoder, with its active adapter attached."""
        if self._encoder is None:
            self._report("loading encoder", 0, 1)
            self._encoder = Encoder(encoder_source(self.ws.get_setting("models.encoder")))
        active = self._active_adapter()
        wanted = active.id if active else None
        current = self._encoder.adapter.id if self._encoder.adapter else None
        if wanted != current:
            if active is None:
                self._encoder.detach_adapter()
            else:
                attach_stored(self._encoder, self.ws, active)
        return self._encoder

    def _active_adapter(self) -> AdapterInfo | None:
        active = AdapterStore(self.ws).active()
        base = encoder_source(self.ws.get_setting("models.encoder")).id
        return active if active and active.base_encoder == base else None

    def doc_space_id(self) -> str:
        """The id the stored item vectors must carry, known without loading any model."""
        base = encoder_source(self.ws.get_setting("models.encoder")).id
        active = self._active_adapter()
        return f"{base}+adapter:{active.id}" if active and active.kind == "symmetric" else base

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._report("loading language model", 0, 1)
            url = self.llm_url()
            self._llm = (RemoteLLM(url, n_ctx=self.llm_options()["n_ctx"]) if url else
                         self._load_llm(llm_source(self.ws.get_setting("models.llm"))))
        return self._llm

    def _load_llm(self, source: ModelSource) -> LocalLLM:
        options = self.llm_options()
        return LocalLLM(source, n_ctx=options["n_ctx"], n_threads=options["n_threads"] or None)

    def llm_url(self) -> str | None:
        """The OpenAI-compatible server answering for this workspace, or None for the
        in-process model: PATENT_DESK_LLM_URL wins over the workspace's setting."""
        return os.environ.get(URL_ENV) or self.ws.get_setting("llm.url") or None

    def set_llm_url(self, url: str | None) -> None:
        """Use the server at `url` (checked first: an unreachable one is refused and the
        setting stays as it was), or with None the model on this computer again."""
        if url:
            llm = RemoteLLM(url, n_ctx=self.llm_options()["n_ctx"])
            self.ws.set_setting("llm.url", llm.url)
            self._llm = llm
        else:
            self.ws.delete_setting("llm.url")
            self._llm = None

    def llm_options(self) -> dict[str, int]:
        """The LLM's context size and threads (0 = all cores), from the workspace settings."""
        return {"n_ctx": int(self.ws.get_setting("llm.n_ctx") or LLM_CTX_DEFAULT),
                "n_threads": int(self.ws.get_setting("llm.n_threads") or 0)}

    def set_llm_options(self, n_ctx: int, n_threads: int) -> None:
        """Store them for this workspace; the LLM reloads with them on next use."""
        low, high = LLM_CTX_RANGE
        if not low <= n_ctx <= high:
            raise PatentDeskError(f"context size must be {low} to {high} tokens, not {n_ctx}")
        if not 0 <= n_threads <= 256:
            raise PatentDeskError(f"threads must be 0 (all cores) to 256, not {n_threads}")
        self.ws.set_setting("llm.n_ctx", n_ctx)
        self.ws.set_setting("llm.n_threads", n_threads)
        self._llm = None

    def set_model(self, kind: str, value: str | None) -> None:
        """Use a local model file/folder, `bundled:NAME` (validated first) or, with None, the
        default. A new encoder re-embeds every item first (progress, Cancel): until that is
        complete, and if it is cancelled, the workspace keeps its encoder and vectors."""
        source = (encoder_source if kind == "encoder" else llm_source)(value)
        # Loading is the only check some damaged models fail (a truncated GGUF with an intact
        # header, a folder without weights); the loaded model is kept, not loaded twice.
        if kind == "encoder":
            encoder = Encoder(source)
            self._replace_vectors(encoder, source.id if value else None)
            self._encoder = encoder
            return
        llm = self._load_llm(source)
        self._llm = None if self.llm_url() else llm  # a chosen server keeps answering
        if value:
            self.ws.set_setting("models.llm", source.id)  # bundled:NAME, or the full path
        else:
            self.ws.delete_setting("models.llm")

    def retriever(self, dense: bool = True) -> Retriever:
        return Retriever(self.ws, self.encoder if dense else None, glossary=self.glossary,
                         languages=self.languages())

    # -- indexing ---------------------------------------------------------------------------
    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    def _embed(self, texts: list[str], progress: Progress | None,
               cancel: threading.Event | None) -> np.ndarray:
        return self.encoder.encode_documents(texts, progress=progress, cancel=cancel)

    def ensure_vectors(self) -> None:
        """Embed every item with the current encoder if the stored vectors are from another."""
        if self.ws.vector_encoder() == self.doc_space_id():
            return
        self._replace_vectors(self.encoder)

    def _replace_vectors(self, encoder: Encoder, setting: object = _KEEP) -> None:
        """Embed every item with `encoder` (outside any transaction: search goes on with the
        old vectors), then swap the vectors, and `setting` as models.encoder when given, in
        one transaction. Cancel raises before anything is written."""
        ids = self.ws.item_ids()
        vectors = self._embed_with(encoder, [it.question for it in self.ws.get_items(ids)],
                                   self.progress, self.cancel)
        with self.ws.transaction():
            if setting is _KEEP and self.ws.vector_encoder() == encoder.doc_space_id:
                return  # another window or process embedded them meanwhile (and maybe more)
            self.ws.reset_vectors(encoder.dim, encoder.doc_space_id)
            self.ws.put_vectors(ids, vectors)
            late = self.ws.get_items(self.ws.ids_without_vectors())  # imported meanwhile
            if late:
                self.ws.put_vectors([it.id for it in late], self._embed_with(
                    encoder, [it.question for it in late], None, None))
            self.ws.delete_setting("fusion")  # both were measured on the old vectors
            self.ws.delete_setting("relevance")
            if setting is not _KEEP:
                if setting:
                    self.ws.set_setting("models.encoder", setting)
                else:
                    self.ws.delete_setting("models.encoder")

    @staticmethod
    def _embed_with(encoder: Encoder, texts: list[str], progress: Progress | None,
                    cancel: threading.Event | None) -> np.ndarray:
        return encoder.encode_documents(texts, progress=progress, cancel=cancel)

    def import_files(self, files: Sequence[str | Path | ImportSource],
                     columns: tuple[str | None, str | None, str | None] = (None, None, None),
                     on_error: Callable[[Path, Exception], None] | None = None,
                     ) -> list[ImportReport]:
        """Import each file in its own transaction; then re-measure hybrid fusion once.
        An ImportSource carries its own columns and encoding (the import wizard's choices)."""
        self.ensure_vectors()
        reports = []
        for file in files:
            src = file if isinstance(file, ImportSource) else ImportSource(str(file), *columns)
            try:
                reports.append(import_file(self.ws, src.path, self._embed, src.columns,
                                           self.progress, self.cancel, src.encoding))
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(Path(src.path), exc)
        for r in reports:  # counts and file names only: item texts stay out of the log
            logs.log().info("import into %s: %s: %d added, %d updated, %d unchanged, %d "
                            "skipped", self.ws.name, Path(r.file).name, r.added, r.updated,
                            r.unchanged, len(r.skipped))
        if any(r.added or r.updated for r in reports):
            self.refresh_quality()
        return reports

    def refresh_quality(self) -> FusionCalibration | None:
        """Re-measure how well each channel retrieves here, and what the encoder can read."""
        self._report("measuring search quality", 0, 1)
        self._measure_reading()
        ratio = (self.ws.get_setting("encoder.unknown_ratio") or {}).get("ratio", 0.0)
        retriever = self.retriever()
        calibrate_relevance(retriever)
        return calibrate_fusion(retriever, reads_workspace=ratio < UNKNOWN_WARN_RATIO)

    def _measure_reading(self) -> None:
        """How much of the workspace the encoder cannot read: `ratio` as the base model reads
        it (what tuning decides by), `read_ratio` with the active adapter's taught characters
        (what the user is warned about)."""
        items = self.ws.get_items(self.ws.item_ids()[:300])
        sample = [f"{it.question} {it.answer}" for it in items]
        encoder = self.encoder
        self.ws.set_setting("encoder.unknown_ratio", {
            "encoder": encoder.id, "ratio": round(encoder.unknown_ratio(sample, base=True), 4),
            "read_ratio": round(encoder.unknown_ratio(sample), 4)})

    # -- editing items by hand (core.library; the GUI's Library page) ------------------------
    def _embed_one(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, None, self.cancel)

    def add_item(self, question: str, answer: str, category: str = "") -> Item:
        self.ensure_vectors()
        return library.add_item(self.ws, question, answer, category, self._embed_one)

    def update_item(self, item_id: int, question: str, answer: str, category: str = "") -> Item:
        self.ensure_vectors()
        return library.update_item(self.ws, item_id, question, answer, category,
                                   self._embed_one)

    def delete_items(self, ids: Sequence[int]) -> int:
        return library.delete_items(self.ws, ids)

    # -- questions --------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        if mode != "lexical":
            self.ensure_vectors()
        return self.retriever(dense=mode != "lexical").search(query, k, mode)

    def searched_as(self, query: str, retriever: Retriever | None = None) -> str | None:
        """The glossary translation the search used for `query`, if it needed one."""
        translated = (retriever or self.retriever(dense=False)).translation(query)
        return translated.text if translated else None

    def ask(self, question: str, mode: str = "extract", k: int = 5,
            on_token: Callable[[str], None] | None = None) -> answering.Answer:
        self.ensure_vectors()
        retriever = self.retriever()  # one retriever: the question is translated once
        hits = retriever.search(question, k)
        sources = answering.relevant_hits(retriever, question, hits, self._min_cosine(retriever))
        result = (answering.generate(question, hits, sources, self.llm, on_token)
                  if mode == "generate" else answering.extract(question, hits, sources))
        result.searched_as = self.searched_as(question, retriever)
        logs.log().info("ask in %s (%s): question %s, hits %s, cited %s, answer %s",
                        self.ws.name, mode, logs.text(question), [h.item.id for h in hits],
                        result.citations, logs.text(result.text))
        return result

    def _min_cosine(self, retriever: Retriever) -> float:
        """The dense similarity an entry needs to count as an answer, measured per encoder."""
        stored = self.ws.get_setting("relevance") or {}
        if stored.get("encoder") != self.encoder.id:
            calibrated = calibrate_relevance(retriever)
            return answering.MIN_COSINE if calibrated is None else calibrated
        return float(stored["min_cosine"])

    # -- tuning -----------------------------------------------------------------------------
    def tune(self, options: TuneOptions | None = None, llm_angles: str = "auto") -> TuneReport:
        """The one-click loop. llm_angles: 'auto' (only when the LLM fits the workspace's
        language), 'on' or 'off'. Options default to `default_tune_options()`."""
        from core.tune.loop import run_tune  # torch: loaded only when tuning

        require_items(self)
        self.ensure_vectors()
        llm, skipped = None, None
        if llm_angles == "auto" and not self.llm_url():  # a served model is the user's choice
            skipped = llm_fits(llm_source(self.ws.get_setting("models.llm")), self.ws)
        if llm_angles != "off" and not skipped:
            try:
                llm = self.llm
            except ModelError as exc:  # no LLM here (it crashed, or the CPU is too old)
                skipped = f"LLM angles skipped (rule-based angles were used): {exc}"
        report = run_tune(self.ws, self.encoder, options or self.default_tune_options(), llm,
                          self.progress, self.cancel)
        report.queries.llm_skipped = skipped or report.queries.llm_skipped
        self.ensure_vectors()  # a new symmetric adapter re-reads the items
        if report.activated:  # re-embedding forgot the fusion weight measured on held-out
            self.ws.set_setting("fusion", {"dense_weight": report.fusion_weight,
                                           "source": "heldout", "adapter": report.adapter_id})
            self._measure_reading()  # the adapter may have taught the encoder characters
        return report

    def default_tune_options(self, kind: str = "auto") -> TuneOptions:
        """What one click runs: see core.tune.loop.options_for."""
        from core.tune.loop import options_for

        if self.ws.get_setting("encoder.unknown_ratio") is None:
            self.refresh_quality()
        ratio = (self.ws.get_setting("encoder.unknown_ratio") or {}).get("ratio", 0.0)
        return options_for(kind, ratio)

    def activate_adapter(self, adapter_id: int | None) -> None:
        """Switch to an adapter (None: the base encoder); re-embeds if it is symmetric."""
        info = activate(self.ws, adapter_id)
        self.ensure_vectors()
        self._measure_reading()
        weight = info.metrics.get("fusion_weight") if info else None
        if weight is not None:
            self.ws.set_setting("fusion", {"dense_weight": weight, "source": "heldout",
                                           "adapter": info.id if info else None})
        else:
            self.refresh_quality()

    def evaluate(self, queries_file: str, adapter: str | None = None) -> dict[str, object]:
        """Metrics on a JSONL query file; adapter None = the active one, 'none' = base."""
        require_items(self)
        self.ensure_vectors()
        items = list(self.ws.iter_items())
        queries, unknown = load_eval_queries(
            queries_file, {question_key(i.question): i.id for i in items}, {i.id for i in items})
        encoder, weight = self.encoder, None
        active = encoder.adapter.id if encoder.adapter else None
        if adapter is not None:
            wanted = None if adapter == "none" else _adapter_number(adapter)
            info = AdapterStore(self.ws).get(wanted) if wanted is not None else None
            if wanted is not None and info is None:
                raise PatentDeskError(f"no adapter {adapter}; see: patent-desk adapters list")
            if wanted != active:
                if info is None:
                    encoder.detach_adapter()
                    weight = 0.0
                else:
                    attach_stored(encoder, self.ws, info)
                    weight = info.metrics.get("fusion_weight")
        used = encoder.adapter.id if encoder.adapter else None
        try:
            documents = None
            if encoder.doc_space_id != self.ws.vector_encoder():
                # The stored vectors belong to another (symmetric) adapter: read the items
                # with this one in memory, leaving the index as it is.
                ids = self.ws.item_ids()
                texts = [it.question for it in self.ws.get_items(ids)]
                documents = (ids, encoder.encode_documents(texts, progress=self.progress,
                                                           cancel=self.cancel))
            result = evaluate_retrievers(Retriever(self.ws, encoder, weight, documents,
                                                   self.glossary, self.languages()),
                                         queries)
        finally:
            self._encoder_adapter_reset()
        return {"n": len(queries), "unknown_gold": unknown, "adapter": used, **result}

    def _encoder_adapter_reset(self) -> None:
        """Put the active adapter back after a temporary switch."""
        if self._encoder is not None:
            _ = self.encoder

    def warnings(self) -> list[str]:
        """Plain-language warnings about how well the models fit this workspace."""
        out = [self.glossary_problem] if self.glossary_problem else []
        unknown = self.ws.get_setting("encoder.unknown_ratio") or {}
        ratio = unknown.get("read_ratio", unknown.get("ratio", 0))
        if ratio >= UNKNOWN_WARN_RATIO:
            name = (self._encoder.name if self._encoder
                    else unknown.get("encoder", "the encoder").removeprefix("bundled:"))
            out.append(
                f"The encoder {name} cannot read {ratio:.0%} of this workspace's "
                "text (unknown tokens), so semantic search is weak here; choose a multilingual "
                "encoder (patent-desk models set-encoder FOLDER).")
        llm = self._llm.source if isinstance(self._llm, LocalLLM) else None
        if llm and llm.languages and self.language() not in llm.languages:
            out.append(
                f"The language model {llm.name} is small and English-only: its answers to "
                "Chinese questions are unreliable. Prefer --mode extract (the official answer), "
                "or choose a bigger multilingual GGUF (patent-desk models set-llm FILE).")
        return out

    def language(self) -> str:
        """The workspace's main language ('zh' or 'en'), from a sample of its questions."""
        return self.languages()[0]

    def languages(self) -> list[str]:
        """The workspace's languages, main first (read again when the item count changes)."""
        count = self.ws.count_items()
        if self._languages is None or self._languages[0] != count:
            self._languages = (count, corpus_languages(self.ws))
        return self._languages[1]


def _adapter_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PatentDeskError(f"adapter must be a number or 'none', not {value!r}") from None


def require_items(desk: Desk) -> None:
    if desk.ws.count_items() == 0:
        raise WorkspaceError(
            f"workspace '{desk.ws.name}' is empty; import a spreadsheet first "
            f"(patent-desk import FILE --workspace {desk.ws.name})")
