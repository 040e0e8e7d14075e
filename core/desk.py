"""One open workspace with its models: the single entry point the CLI and the GUI share.

Models load lazily (the encoder costs seconds, the LLM more) and only once per Desk.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core import answer as answering
from core import library, llm_settings, logs, model_fit, paths, tuning_session, vectors
from core.encoder_choice import EncoderChoice
from core.errors import ModelError, WorkspaceError
from core.evaluate import FusionCalibration, calibrate_fusion, calibrate_relevance, relevance_cutoff
from core.glossary import Glossary, load_glossary
from core.ingest.importer import import_file
from core.models import encoder_source, llm_source
from core.models.encoder import Encoder
from core.models.light import LightEncoder
from core.models.llm import LocalLLM
from core.models.registry import fingerprint
from core.progress import Progress
from core.records import ImportReport, ImportSource, Item
from core.retrieve import Hit, Retriever, corpus_languages
from core.store import measured, open_workspace
from core.vectors import FillState
from core.workspaces import workspace_exists

if TYPE_CHECKING:
    from core.tune.loop import TuneOptions, TuneReport

# Re-exported: the CLI and tests reach it as core.desk.require_items.
require_items = tuning_session.require_items

LLM = llm_settings.LLM

DEMO = "demo"
UNKNOWN_WARN_RATIO = model_fit.UNKNOWN_WARN_RATIO
LLM_CTX_DEFAULT = llm_settings.CTX_DEFAULT
_KEEP = object()  # _replace_vectors: leave the encoder setting as it is
LLM_CTX_RANGE = llm_settings.CTX_RANGE


class Desk:
    def __init__(self, workspace: str = "default", progress: Progress | None = None,
                 cancel: threading.Event | None = None, encoder: Encoder | None = None,
                 llm: LLM | None = None, fill: bool = True) -> None:
        """`encoder`/`llm`: already-loaded models to share (they must be the ones the
        workspace's settings name); by default each loads on first use. `fill` False: a
        new demo workspace is only imported, its vectors left to the caller's fill."""
        seed_demo = workspace == DEMO and not workspace_exists(DEMO)
        self.ws = open_workspace(workspace)
        self.progress = progress
        self.cancel = cancel
        self.models = EncoderChoice(self.ws, encoder,
                                    lambda: self._report("loading encoder", 0, 1))
        self._llm = llm
        self._languages: tuple[int, list[str]] | None = None  # (item count, languages)
        if seed_demo:
            self.import_files(paths.demo_files(), fill=fill)

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models -----------------------------------------------------------------------------
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
        """The workspace's full encoder (torch), with its active adapter attached."""
        return self.models.encoder

    @property
    def query_encoder(self) -> Encoder | LightEncoder:
        """What encodes questions: the numpy engine until the Encoder is loaded anyway."""
        return self.models.for_queries()

    def doc_space_id(self) -> str:
        return self.models.doc_space_id()

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._report("loading language model", 0, 1)
            self._llm = llm_settings.load(self.ws)
        return self._llm

    def llm_url(self) -> str | None:
        return llm_settings.url(self.ws)

    def set_llm_url(self, url: str | None) -> None:
        self._llm = llm_settings.set_url(self.ws, url)

    def llm_options(self) -> dict[str, int]:
        """The LLM's context size and threads (0 = all cores), from the workspace settings."""
        return llm_settings.options(self.ws)

    def set_llm_options(self, n_ctx: int, n_threads: int) -> None:
        """Store them for this workspace (checked first); the LLM reloads with them."""
        llm_settings.set_options(self.ws, n_ctx, n_threads)
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
            self.models.loaded = encoder
            return
        llm = llm_settings.load_local(self.ws, source)
        self._llm = None if self.llm_url() else llm  # a chosen server keeps answering
        if value:
            self.ws.set_setting("models.llm", source.id)  # bundled:NAME, or the full path
        else:
            self.ws.delete_setting("models.llm")

    def retriever(self, dense: bool = True) -> Retriever:
        """Dense joins once the fill has stored a first batch; until search quality has been
        measured (when the fill completes), hybrid uses a provisional weight for an encoder
        made for the workspace's language, lexical alone for any other."""
        state = self.semantic_state() if dense else None
        use_dense = state is not None and state.done > 0 and not self.semantic_problem()

        def made_for_language() -> bool:
            source = encoder_source(self.ws.get_setting("models.encoder"))
            return self.language() in source.languages

        weight = measured.provisional_weight(self.ws, made_for_language) if use_dense else None
        return Retriever(self.ws, self.query_encoder if use_dense else None, weight,
                         glossary=self.glossary, languages=self.languages())

    # -- indexing ---------------------------------------------------------------------------
    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    def semantic_state(self) -> FillState:
        """How far the vector fill has come for the workspace's encoder (no model loaded)."""
        try:
            space = self.doc_space_id()
        except ModelError:  # the workspace's encoder is not installed on this computer
            return FillState(0, self.ws.count_items())
        return vectors.fill_state(self.ws, space)

    def semantic_problem(self) -> str | None:
        """Why semantic search is off altogether (not merely filling in), or None. Another
        seat's vectors are never replaced behind its back: that takes `embed --re-embed`."""
        try:
            space = self.doc_space_id()
            weights = fingerprint(self.models.source())
        except (ModelError, OSError) as exc:
            return vectors.off_reason(self.ws, exc if isinstance(exc, ModelError) else
                                      ModelError(f"cannot read the encoder's files: {exc}"))
        return vectors.off_reason(self.ws, space, weights)

    def semantic_note(self) -> str | None:
        """Why semantic search is off, or 'semantic search: 40% ready…' while the fill is
        incomplete; None when it is complete."""
        problem = self.semantic_problem()
        state = self.semantic_state()
        return problem if problem or state.complete else vectors.fill_note(self.ws, state)

    def fill_vectors(self, ids: Sequence[int] | None = None, replace: bool = False) -> int:
        """Embed the items that lack a vector, in committed batches (resumable). Vectors of
        another encoder (another seat's, or before a symmetric adapter) are re-embedded and
        swapped only with `replace`, an explicit choice. After a fill that completes the
        workspace, search quality is measured again. `ids`: only these items (a hand edit)."""
        if self.semantic_problem():
            if not replace or ids is not None:
                return 0
            filled = self.ws.count_items()
            vectors.replace_vectors(self.ws, self.models.for_documents(filled), self.progress,
                                    self.cancel)
        else:
            state = self.semantic_state()
            if state.complete:
                return 0
            missing = len(ids) if ids is not None else state.total - state.done
            filled = vectors.fill_missing(self.ws, self.models.for_documents(missing), ids,
                                          self.progress, self.cancel)
        if filled and ids is None:
            self.refresh_quality()
        return filled

    def ensure_vectors(self) -> None:
        """Every item embedded with the current encoder, replacing other vectors (after an
        adapter switch: the user's explicit action)."""
        self.fill_vectors(replace=True)

    def require_vectors(self) -> None:
        """Every item embedded, or a WorkspaceError saying why not (tuning and evaluation
        must never re-embed another seat's shared vectors on their own)."""
        self.fill_vectors()
        problem = self.semantic_problem()
        if problem:
            raise WorkspaceError(problem)

    def _replace_vectors(self, encoder: Encoder, setting: object = _KEEP) -> None:
        """Re-embed every item with `encoder` and swap, storing `setting` as models.encoder
        in the same transaction (None: the default). Cancel changes nothing."""
        def store_setting() -> None:
            if setting:
                self.ws.set_setting("models.encoder", setting)
            else:
                self.ws.delete_setting("models.encoder")

        vectors.replace_vectors(self.ws, encoder, self.progress, self.cancel,
                                None if setting is _KEEP else store_setting)

    def import_files(self, files: Sequence[str | Path | ImportSource],
                     columns: tuple[str | None, str | None, str | None] = (None, None, None),
                     on_error: Callable[[Path, Exception], None] | None = None,
                     fill: bool = True) -> list[ImportReport]:
        """Import each file in its own transaction: its items are searchable lexically at
        once. Then, with `fill`, embed them (fill_vectors; it re-measures search quality);
        without, the caller runs the fill, in the background say. An ImportSource carries
        its own columns and encoding (the import wizard's choices)."""
        reports = []
        for file in files:
            src = file if isinstance(file, ImportSource) else ImportSource(str(file), *columns)
            try:
                reports.append(import_file(self.ws, src.path, src.columns,
                                           self.progress, self.cancel, src.encoding))
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(Path(src.path), exc)
        for r in reports:  # counts and file names only: item texts stay out of the log
            logs.log().info("import into %s: %s: %d added, %d updated, %d unchanged, %d "
                            "skipped", self.ws.name, Path(r.file).name, r.added, r.updated,
                            r.unchanged, len(r.skipped))
        if fill:  # also when nothing changed: it resumes a fill that a kill stopped
            try:
                self.fill_vectors()
            except ModelError as exc:  # the items are stored and searchable lexically
                logs.log().warning("vector fill after import: %s", exc)
        return reports

    def refresh_quality(self) -> FusionCalibration | None:
        """Re-measure how well each channel retrieves here, and what the encoder can read."""
        self._report("measuring search quality", 0, 1)
        self.measure_reading()
        ratio = measured.reading(self.ws).get("ratio", 0.0)
        retriever = self.retriever()
        calibrate_relevance(retriever)
        calibration = calibrate_fusion(retriever, reads_workspace=ratio < UNKNOWN_WARN_RATIO)
        if calibration is not None:
            measured.save_calibration(self.ws, calibration.as_dict())
        return calibration

    def measure_reading(self) -> None:
        """How much of the workspace the encoder cannot read: `ratio` as the base model reads
        it (what tuning decides by), `read_ratio` with the active adapter's taught characters
        (what the user is warned about)."""
        items = self.ws.get_items(self.ws.item_ids()[:300])
        sample = [f"{it.question} {it.answer}" for it in items]
        encoder = self.models.for_queries()  # same tokenizer; no torch needed to count
        measured.save_reading(self.ws, encoder.id,
                              round(encoder.unknown_ratio(sample, base=True), 4),
                              round(encoder.unknown_ratio(sample), 4))

    # -- editing items by hand (core.library; the GUI's Library page) ------------------------
    def add_item(self, question: str, answer: str, category: str = "") -> Item:
        item = library.add_item(self.ws, question, answer, category)
        self.fill_vectors([item.id])
        return item

    def update_item(self, item_id: int, question: str, answer: str, category: str = "") -> Item:
        item = library.update_item(self.ws, item_id, question, answer, category)
        self.fill_vectors([item.id])
        return item

    def delete_items(self, ids: Sequence[int]) -> int:
        return library.delete_items(self.ws, ids)

    # -- questions --------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        """Never waits for the vector fill: the dense channel uses the vectors present."""
        return self.retriever(dense=mode != "lexical").search(query, k, mode)

    def searched_as(self, query: str, retriever: Retriever | None = None) -> str | None:
        """The glossary translation the search used for `query`, if it needed one."""
        translated = (retriever or self.retriever(dense=False)).translation(query)
        return translated.text if translated else None

    def ask(self, question: str, mode: str = "extract", k: int = 5,
            on_token: Callable[[str], None] | None = None) -> answering.Answer:
        retriever = self.retriever()  # one retriever: the question is translated once
        hits = retriever.search(question, k)
        sources = answering.relevant_hits(retriever, question, hits, relevance_cutoff(
            retriever, answering.MIN_COSINE, self.semantic_state().complete))
        # A set `cancel` stops the writing: the answer is what the model wrote so far.
        result = (answering.generate(question, hits, sources, self.llm, on_token,
                                     stop=self.cancel)
                  if mode == "generate" else answering.extract(question, hits, sources))
        result.searched_as = self.searched_as(question, retriever)
        logs.log().info("ask in %s (%s): question %s, hits %s, cited %s, answer %s",
                        self.ws.name, mode, logs.text(question), [h.item.id for h in hits],
                        result.citations, logs.text(result.text))
        return result

    # -- tuning and evaluation (core.tuning_session) -----------------------------------------
    def tune(self, options: TuneOptions | None = None, llm_angles: str = "auto") -> TuneReport:
        """The one-click loop; see core.tuning_session.tune."""
        return tuning_session.tune(self, options, llm_angles)

    def default_tune_options(self, kind: str = "auto") -> TuneOptions:
        return tuning_session.default_tune_options(self, kind)

    def activate_adapter(self, adapter_id: int | None) -> None:
        """Switch to an adapter (None: the base encoder); re-embeds if it is symmetric."""
        tuning_session.activate_adapter(self, adapter_id)

    def evaluate(self, queries_file: str, adapter: str | None = None) -> dict[str, object]:
        """Metrics on a JSONL query file; adapter None = the active one, 'none' = base."""
        return tuning_session.evaluate(self, queries_file, adapter)

    def warnings(self) -> list[str]:
        """Plain-language warnings about how well the models fit this workspace."""
        llm = self._llm.source if isinstance(self._llm, LocalLLM) else None
        problem = self.semantic_problem()
        return ([problem] if problem else []) + model_fit.warnings(self.glossary_problem,
                                  measured.reading(self.ws),
                                  self.models.loaded.name if self.models.loaded else None, llm,
                                  self.language())

    def language(self) -> str:
        """The workspace's main language ('zh' or 'en'), from a sample of its questions."""
        return self.languages()[0]

    def languages(self) -> list[str]:
        """The workspace's languages, main first (read again when the item count changes)."""
        count = self.ws.count_items()
        if self._languages is None or self._languages[0] != count:
            self._languages = (count, corpus_languages(self.ws))
        return self._languages[1]
