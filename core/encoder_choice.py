"""Which encoder a workspace's job runs on: the full Encoder (torch), or the numpy engine.

Loading sentence-transformers costs about 8 s on two cores, the numpy engine (core.models.light)
a fifth of a second, with the same vectors. So questions are encoded by the engine until the
Encoder is loaded anyway (tuning), and small vector fills use it too. The active adapter is
looked up at each use: another window or seat may have switched it.
"""

from __future__ import annotations

from collections.abc import Callable

from core.models import encoder_source
from core.models.catalogue import ENCODERS
from core.models.encoder import Encoder
from core.models.light import LightEncoder
from core.models.registry import BUNDLED_PREFIX, ModelSource
from core.store import WorkspaceStore
from core.store.tuning import AdapterInfo, AdapterStore
from core.tune.adapters import attach_stored, light_encoder

# A fill of up to this many items runs on the numpy engine when torch is not loaded: the
# engine embeds at about 0.8x torch's speed here, and torch's 8 s of loading buy ~3,000 items.
LIGHT_FILL_MAX = 2000


class EncoderChoice:
    def __init__(self, ws: WorkspaceStore, encoder: Encoder | None = None,
                 on_load: Callable[[], None] | None = None) -> None:
        """`encoder`: an already loaded one to share (it must be the workspace's)."""
        self.ws = ws
        self.loaded = encoder
        self.on_load = on_load
        self._engines: dict[int | None, LightEncoder | None] = {}  # by adapter id
        self._keep_embedded()

    def _keep_embedded(self) -> None:
        """A workspace embedded with a bundled encoder that is no longer the default keeps it:
        following the new default would silently re-embed it and orphan its adapters.
        Moving to the new one is the user's explicit choice (Desk.set_model)."""
        if self.ws.get_setting("models.encoder") is not None:
            return
        embedded = (self.ws.vector_encoder() or "").split("+adapter:")[0]
        name = embedded.removeprefix(BUNDLED_PREFIX)
        if (embedded.startswith(BUNDLED_PREFIX) and name in ENCODERS
                and embedded != encoder_source(None).id):
            self.ws.set_setting("models.encoder", embedded)

    def source(self) -> ModelSource:
        return encoder_source(self.ws.get_setting("models.encoder"))

    def active_adapter(self) -> AdapterInfo | None:
        active = AdapterStore(self.ws).active()
        return active if active and active.base_encoder == self.source().id else None

    def doc_space_id(self) -> str:
        """The id the stored item vectors must carry, known without loading any model."""
        base, active = self.source().id, self.active_adapter()
        return f"{base}+adapter:{active.id}" if active and active.kind == "symmetric" else base

    @property
    def encoder(self) -> Encoder:
        """The full Encoder, with the active adapter attached."""
        if self.loaded is None:
            if self.on_load:
                self.on_load()
            self.loaded = Encoder(self.source())
        active = self.active_adapter()
        wanted = active.id if active else None
        current = self.loaded.adapter.id if self.loaded.adapter else None
        if wanted != current:
            if active is None:
                self.loaded.detach_adapter()
            else:
                attach_stored(self.loaded, self.ws, active)
        return self.loaded

    def _engine(self, adapter: AdapterInfo | None) -> LightEncoder | None:
        key = adapter.id if adapter else None
        if key not in self._engines:
            self._engines[key] = light_encoder(self.ws, self.source(), adapter)
        return self._engines[key]

    def for_queries(self) -> Encoder | LightEncoder:
        """The Encoder once it is loaded, until then the engine where it runs the model."""
        if self.loaded is None:
            engine = self._engine(self.active_adapter())
            if engine is not None:
                return engine
        return self.encoder

    def for_documents(self, count: int) -> Encoder | LightEncoder:
        """What embeds `count` items: the engine for a small fill while torch is not loaded."""
        if self.loaded is None and count <= LIGHT_FILL_MAX:
            active = self.active_adapter()
            # A query-side adapter leaves the items' vectors to the base model.
            engine = self._engine(active if active and active.kind == "symmetric" else None)
            if engine is not None:
                return engine
        return self.encoder
