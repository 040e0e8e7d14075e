"""One open workspace with its models: the single entry point the CLI and the GUI share.

A thin façade: it opens the workspace and hands each call to the part that does it, so the
callers keep one object while each responsibility lives, and changes, in its own module:
  - core.desk_models    encoder, LLM, glossary, languages (each loaded lazily, once per Desk)
  - core.desk_index     the vector fill, why semantic search is off, search quality, retriever
  - core.desk_content   imports and hand edits of items
  - core.desk_questions search and answers
  - core.tuning_session tuning, adapter switches, evaluation
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core import answer as answering
from core import llm_settings, model_fit, paths, tuning_session
from core.desk_content import DeskContent
from core.desk_index import DeskIndex
from core.desk_models import DeskModels
from core.desk_questions import DeskQuestions
from core.evaluate import FusionCalibration
from core.glossary import Glossary
from core.models.encoder import Encoder
from core.models.light import LightEncoder
from core.progress import Progress
from core.records import ImportReport, ImportSource, Item
from core.retrieve import Hit, Retriever
from core.store import open_workspace
from core.tune.dataset import LLM_BUDGET_S
from core.vectors import FillState
from core.workspaces import workspace_exists

if TYPE_CHECKING:
    from core.tune.dataset import QueryReport
    from core.tune.loop import TuneOptions, TuneReport

# Re-exported: the CLI and tests reach it as core.desk.require_items.
require_items = tuning_session.require_items

LLM = llm_settings.LLM

DEMO = paths.DEMO_WORKSPACE
UNKNOWN_WARN_RATIO = model_fit.UNKNOWN_WARN_RATIO
LLM_CTX_DEFAULT = llm_settings.CTX_DEFAULT
LLM_CTX_RANGE = llm_settings.CTX_RANGE


class Desk:
    def __init__(self, workspace: str = "default", progress: Progress | None = None,
                 cancel: threading.Event | None = None, encoder: Encoder | None = None,
                 llm: LLM | None = None, fill: bool = True) -> None:
        """`encoder`/`llm`: already-loaded models to share (they must be the ones the
        workspace's settings name); by default each loads on first use. `fill` False: a
        new demo workspace is only imported, its vectors left to the caller's fill.
        `progress` and `cancel` belong to the job running now: callers may swap them."""
        seed_demo = workspace == DEMO and not workspace_exists(DEMO)
        self.ws = open_workspace(workspace)
        self.progress = progress
        self.cancel = cancel
        self.models = DeskModels(self, encoder, llm)
        self.index = DeskIndex(self, self.models)
        self.content = DeskContent(self, self.index)
        self.questions = DeskQuestions(self, self.models, self.index)
        if seed_demo:
            self.import_files(paths.demo_files(), fill=fill)

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models (core.desk_models) ----------------------------------------------------------
    @property
    def glossary(self) -> Glossary:
        return self.models.glossary

    @property
    def glossary_problem(self) -> str | None:
        return self.models.glossary_problem

    @property
    def encoder(self) -> Encoder:
        return self.models.encoder

    @property
    def query_encoder(self) -> Encoder | LightEncoder:
        return self.models.query_encoder

    def doc_space_id(self) -> str:
        return self.models.doc_space_id()

    @property
    def llm(self) -> LLM:
        return self.models.llm

    def llm_url(self) -> str | None:
        return self.models.llm_url()

    def set_llm_url(self, url: str | None) -> None:
        self.models.set_llm_url(url)

    def llm_options(self) -> dict[str, int]:
        return self.models.llm_options()

    def set_llm_options(self, n_ctx: int, n_threads: int) -> None:
        self.models.set_llm_options(n_ctx, n_threads)

    def set_model(self, kind: str, value: str | None) -> None:
        """Use a local model file/folder, `bundled:NAME` (validated first) or, with None, the
        default. A new encoder re-embeds every item first (see DeskIndex.switch_encoder)."""
        if kind == "encoder":
            self.index.switch_encoder(value)
        else:
            self.models.set_llm(value)

    def language(self) -> str:
        return self.models.language()

    def languages(self) -> list[str]:
        return self.models.languages()

    def warnings(self) -> list[str]:
        """Plain-language warnings about how well the models fit this workspace."""
        return self.models.warnings(self.index.semantic_problem())

    # -- indexing (core.desk_index) ---------------------------------------------------------
    def semantic_state(self) -> FillState:
        return self.index.semantic_state()

    def semantic_problem(self) -> str | None:
        return self.index.semantic_problem()

    def semantic_note(self) -> str | None:
        return self.index.semantic_note()

    def fill_vectors(self, ids: Sequence[int] | None = None, replace: bool = False) -> int:
        return self.index.fill_vectors(ids, replace)

    def ensure_vectors(self) -> None:
        self.index.ensure_vectors()

    def require_vectors(self) -> None:
        self.index.require_vectors()

    def refresh_quality(self) -> FusionCalibration | None:
        return self.index.refresh_quality()

    def measure_reading(self) -> None:
        self.index.measure_reading()

    def retriever(self, dense: bool = True) -> Retriever:
        return self.index.retriever(dense)

    # -- items (core.desk_content) ----------------------------------------------------------
    def import_files(self, files: Sequence[str | Path | ImportSource],
                     columns: tuple[str | None, str | None, str | None] = (None, None, None),
                     on_error: Callable[[Path, Exception], None] | None = None,
                     fill: bool = True) -> list[ImportReport]:
        return self.content.import_files(files, columns, on_error, fill)

    def add_item(self, question: str, answer: str, category: str = "") -> Item:
        return self.content.add_item(question, answer, category)

    def update_item(self, item_id: int, question: str, answer: str, category: str = "") -> Item:
        return self.content.update_item(item_id, question, answer, category)

    def delete_items(self, ids: Sequence[int]) -> int:
        return self.content.delete_items(ids)

    # -- questions (core.desk_questions) ----------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", exact: bool = False
               ) -> list[Hit]:
        return self.questions.search(query, k, mode, exact)

    def searched_as(self, query: str, retriever: Retriever | None = None) -> str | None:
        return self.questions.searched_as(query, retriever)

    def prepare_answers(self) -> int:
        return self.questions.prepare_answers()

    def ask(self, question: str, mode: str = "extract", k: int = 5,
            on_token: Callable[[str], None] | None = None) -> answering.Answer:
        return self.questions.ask(question, mode, k, on_token)

    # -- tuning and evaluation (core.tuning_session) -----------------------------------------
    def tune(self, options: TuneOptions | None = None, llm_angles: str = "auto") -> TuneReport:
        return tuning_session.tune(self, options, llm_angles)

    def prepare_queries(self, llm_budget_s: float | None = LLM_BUDGET_S
                        ) -> QueryReport:
        return tuning_session.prepare_queries(self, llm_budget_s)

    def default_tune_options(self, kind: str = "auto") -> TuneOptions:
        return tuning_session.default_tune_options(self, kind)

    def activate_adapter(self, adapter_id: int | None) -> None:
        tuning_session.activate_adapter(self, adapter_id)

    def evaluate(self, queries_file: str, adapter: str | None = None) -> dict[str, object]:
        return tuning_session.evaluate(self, queries_file, adapter)
