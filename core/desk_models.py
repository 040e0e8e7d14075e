"""The models one open workspace reads and answers with: its encoder (core.encoder_choice), its
LLM (settings in core.llm_settings), the bilingual glossary, and the languages it is written in.

Each loads lazily and only once per Desk: the encoder costs seconds, the LLM more. Also home
of OpenWorkspace, the Desk as all of its parts (core.desk_*) see it.
"""

from __future__ import annotations

import functools
import threading
from typing import Protocol

from core import llm_settings, model_fit
from core.encoder_choice import EncoderChoice
from core.glossary import Glossary, load_glossary
from core.models import llm_source
from core.models.encoder import Encoder
from core.models.light import LightEncoder
from core.models.llm import LocalLLM
from core.progress import Progress
from core.retrieve import corpus_languages
from core.store import WorkspaceStore, measured

LLM = llm_settings.LLM


class OpenWorkspace(Protocol):
    """The open workspace and the job running on it now. Callers swap `progress` and `cancel`
    between jobs (desktop.jobs), so the Desk's parts read them at each use, never copy them."""

    ws: WorkspaceStore
    progress: Progress | None
    cancel: threading.Event | None


def report(desk: OpenWorkspace, stage: str, done: int, total: int) -> None:
    if desk.progress:
        desk.progress(stage, done, total)


class DeskModels:
    def __init__(self, desk: OpenWorkspace, encoder: Encoder | None = None,
                 llm: LLM | None = None) -> None:
        """`encoder`/`llm`: already-loaded models to share (they must be the ones the
        workspace's settings name); by default each loads on first use."""
        self._desk = desk
        self.ws = desk.ws
        self.encoders = EncoderChoice(self.ws, encoder,
                                      lambda: report(desk, "loading encoder", 0, 1))
        self._llm = llm
        self._languages: tuple[int, list[str]] | None = None  # (item count, languages)

    # -- encoder ----------------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        """The workspace's full encoder (torch), with its active adapter attached."""
        return self.encoders.encoder

    @property
    def query_encoder(self) -> Encoder | LightEncoder:
        """What encodes questions: the numpy engine until the Encoder is loaded anyway."""
        return self.encoders.for_queries()

    def doc_space_id(self) -> str:
        return self.encoders.doc_space_id()

    # -- LLM --------------------------------------------------------------------------------
    @property
    def llm(self) -> LLM:
        if self._llm is None:
            report(self._desk, "loading language model", 0, 1)
            self._llm = llm_settings.load(self.ws)
        return self._llm

    @property
    def loaded_llm(self) -> LLM | None:
        """The LLM if it is loaded already: another Desk on the same workspace (a background
        job's) can share it, so one model process serves both."""
        return self._llm

    def share_llm(self, llm: LLM | None) -> None:
        """Adopt an LLM another Desk on this workspace loaded, unless one is loaded here."""
        if self._llm is None:
            self._llm = llm

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

    def set_llm(self, value: str | None) -> None:
        """Use a local GGUF file, `bundled:NAME` or, with None, the default (validated first)."""
        source = llm_source(value)
        # Loading is the only check some damaged models fail (a truncated GGUF with an intact
        # header); the loaded model is kept, not loaded twice.
        llm = llm_settings.load_local(self.ws, source)
        self._llm = None if self.llm_url() else llm  # a chosen server keeps answering
        if value:
            self.ws.set_setting("models.llm", source.id)  # bundled:NAME, or the full path
        else:
            self.ws.delete_setting("models.llm")

    # -- glossary and languages -------------------------------------------------------------
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

    def language(self) -> str:
        """The workspace's main language ('zh' or 'en'), from a sample of its questions."""
        return self.languages()[0]

    def languages(self) -> list[str]:
        """The workspace's languages, main first (read again when the item count changes)."""
        count = self.ws.count_items()
        if self._languages is None or self._languages[0] != count:
            self._languages = (count, corpus_languages(self.ws))
        return self._languages[1]

    def warnings(self, semantic_problem: str | None) -> list[str]:
        """Plain-language warnings about how well the models fit this workspace, after
        `semantic_problem` (why semantic search is off, from the index) if there is one."""
        llm = self._llm.source if isinstance(self._llm, LocalLLM) else None
        loaded = self.encoders.loaded
        return ([semantic_problem] if semantic_problem else []) + model_fit.warnings(
            self.glossary_problem, measured.reading(self.ws),
            loaded.name if loaded else None, llm, self.language())
