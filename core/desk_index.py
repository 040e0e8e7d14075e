"""The semantic index of one open workspace: how far the vector fill has come, why semantic
search is off, the fill itself, the measured search quality, and the retriever built on them.

The stored vectors belong to the encoder that made them (core.vectors); another seat's are
never replaced unless the user explicitly asks for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from core import vectors
from core.desk_models import DeskModels, OpenWorkspace, report
from core.errors import ModelError, WorkspaceError
from core.evaluate import FusionCalibration, calibrate_fusion, calibrate_relevance
from core.model_fit import UNKNOWN_WARN_RATIO
from core.models import encoder_source, speed
from core.models.encoder import Encoder
from core.models.registry import fingerprint
from core.retrieve import Retriever
from core.store import measured
from core.vectors import FillState

_KEEP = object()  # _replace_vectors: leave the encoder setting as it is


class DeskIndex:
    def __init__(self, desk: OpenWorkspace, models: DeskModels) -> None:
        self._desk = desk
        self.ws = desk.ws
        self.models = models

    def semantic_state(self) -> FillState:
        """How far the vector fill has come for the workspace's encoder (no model loaded)."""
        try:
            space = self.models.doc_space_id()
        except ModelError:  # the workspace's encoder is not installed on this computer
            return FillState(0, self.ws.count_items())
        return vectors.fill_state(self.ws, space)

    def semantic_problem(self) -> str | None:
        """Why semantic search is off altogether (not merely filling in), or None. Another
        seat's vectors are never replaced behind its back: that takes `embed --re-embed`."""
        try:
            space = self.models.doc_space_id()
            weights = fingerprint(self.models.encoders.source())
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
        desk, encoders = self._desk, self.models.encoders
        if self.semantic_problem():
            if not replace or ids is not None:
                return 0
            filled = self.ws.count_items()
            encoder = encoders.for_documents(filled)  # loads the model: not timed below
            started = time.monotonic()
            vectors.replace_vectors(self.ws, encoder, desk.progress, desk.cancel)
        else:
            state = self.semantic_state()
            if state.complete:
                return 0
            missing = len(ids) if ids is not None else state.total - state.done
            encoder = encoders.for_documents(missing)
            started = time.monotonic()
            filled = vectors.fill_missing(self.ws, encoder, ids, desk.progress, desk.cancel)
        if filled >= speed.MIN_FILL:  # the Models page's speed on this computer
            speed.record(encoder.source.id, filled / (time.monotonic() - started))
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

    def switch_encoder(self, value: str | None) -> None:
        """Use a local model folder, `bundled:NAME` (validated first) or, with None, the
        default. Every item is re-embedded first (progress, Cancel): until that is complete,
        and if it is cancelled, the workspace keeps its encoder and vectors."""
        source = encoder_source(value)
        # Loading is the only check some damaged models fail (a folder without weights);
        # the loaded model is kept, not loaded twice.
        encoder = Encoder(source)
        self._replace_vectors(encoder, source.id if value else None)
        self.models.encoders.loaded = encoder

    def _replace_vectors(self, encoder: Encoder, setting: object = _KEEP) -> None:
        """Re-embed every item with `encoder` and swap, storing `setting` as models.encoder
        in the same transaction (None: the default). Cancel changes nothing."""
        def store_setting() -> None:
            if setting:
                self.ws.set_setting("models.encoder", setting)
            else:
                self.ws.delete_setting("models.encoder")

        vectors.replace_vectors(self.ws, encoder, self._desk.progress, self._desk.cancel,
                                None if setting is _KEEP else store_setting)

    def refresh_quality(self) -> FusionCalibration | None:
        """Re-measure how well each channel retrieves here, and what the encoder can read."""
        report(self._desk, "measuring search quality", 0, 1)
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
        encoder = self.models.query_encoder  # same tokenizer; no torch needed to count
        measured.save_reading(self.ws, encoder.id,
                              round(encoder.unknown_ratio(sample, base=True), 4),
                              round(encoder.unknown_ratio(sample), 4))

    def retriever(self, dense: bool = True, exact: bool = False) -> Retriever:
        """Dense joins once the fill has stored a first batch; until search quality has been
        measured (when the fill completes), hybrid uses a provisional weight for an encoder
        made for the workspace's language, lexical alone for any other. `exact`: the
        reference vector scan (Retriever)."""
        state = self.semantic_state() if dense else None
        use_dense = state is not None and state.done > 0 and not self.semantic_problem()
        models = self.models

        def made_for_language() -> bool:
            source = encoder_source(self.ws.get_setting("models.encoder"))
            return models.language() in source.languages

        weight = measured.provisional_weight(self.ws, made_for_language) if use_dense else None
        return Retriever(self.ws, models.query_encoder if use_dense else None, weight,
                         glossary=models.glossary, languages=models.languages(), exact=exact)
