"""Questions put to one open workspace: a search, or an answer (extracted from the sources,
or written by the LLM) with its citations. Logged without client text by default (core.logs).
"""

from __future__ import annotations

from collections.abc import Callable

from core import answer as answering
from core import logs
from core.desk_index import DeskIndex
from core.desk_models import DeskModels, OpenWorkspace
from core.evaluate import relevance_cutoffs
from core.models import speed
from core.retrieve import Hit, Retriever


class DeskQuestions:
    def __init__(self, desk: OpenWorkspace, models: DeskModels, index: DeskIndex) -> None:
        self._desk = desk
        self.ws = desk.ws
        self.models = models
        self.index = index

    def search(self, query: str, k: int = 10, mode: str = "hybrid", exact: bool = False
               ) -> list[Hit]:
        """Never waits for the vector fill: the dense channel uses the vectors present."""
        return self.index.retriever(mode != "lexical", exact).search(query, k, mode)

    def searched_as(self, query: str, retriever: Retriever | None = None) -> str | None:
        """The glossary translation the search used for `query`, if it needed one."""
        translated = (retriever or self.index.retriever(dense=False)).translation(query)
        return translated.text if translated else None

    def prepare_answers(self) -> int:
        """Load the LLM and have it read the answer instructions ahead of the first
        question (the window does this when the user picks generated answers)."""
        return answering.warm_up(self.models.llm, self.models.language())

    def ask(self, question: str, mode: str = "extract", k: int = 5,
            on_token: Callable[[str], None] | None = None) -> answering.Answer:
        retriever = self.index.retriever()  # one retriever: the question is translated once
        hits = retriever.search(question, k)
        cutoffs = relevance_cutoffs(retriever, answering.MIN_COSINE,
                                    self.index.semantic_state().complete)
        sources = answering.relevant_hits(retriever, question, hits, cutoffs.answer)
        # No source shares the question's words or comes closer than official-sounding
        # questions the workspace cannot answer: answered, with a caution.
        uncertain = bool(sources) and not answering.relevant_hits(
            retriever, question, sources, cutoffs.confident)
        # A set `cancel` stops the writing: the answer is what the model wrote so far.
        result = (answering.generate(question, hits, sources, self.models.llm, on_token,
                                     stop=self._desk.cancel, uncertain=uncertain)
                  if mode == "generate"
                  else answering.extract(question, hits, sources, uncertain))
        result.searched_as = self.searched_as(question, retriever)
        llm_source = getattr(self.models.llm, "source", None) if mode == "generate" else None
        if llm_source is not None and result.tokens_per_s:  # a local model, measured here
            speed.record(llm_source.id, result.tokens_per_s, result.first_token_s)
        logs.log().info("ask in %s (%s): question %s, hits %s, cited %s, answer %s",
                        self.ws.name, mode, logs.text(question), [h.item.id for h in hits],
                        result.citations, logs.text(result.text))
        return result
