"""Shared fixtures: every test gets its own data home; the expensive things (loading the
bundled encoder and LLM, embedding the demo corpus) happen once per session and are reused
as real objects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Models built from bundled files (the e5 folder) are built once per machine, not per test's
# data home; subprocesses inherit this.
os.environ.setdefault("PATENT_DESK_MODEL_CACHE", str(
    Path(__import__("platformdirs").user_cache_dir("patent-desk-tests")) / "models"))

os.environ.setdefault("PATENT_DESK_CACHE", str(
    Path(__import__("platformdirs").user_cache_dir("patent-desk-tests")) / "cache"))

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "resources" / "demo"
TIPO_FILES = sorted(DEMO_DIR.glob("*.csv"))
REALISTIC_QUERIES = ROOT / "resources" / "eval" / "tipo_realistic_queries.jsonl"


@contextmanager
def data_home_at(home: Path) -> Iterator[Path]:
    """PATENT_DESK_HOME set to `home` for a block: session and module fixtures build their
    prepared workspaces outside any one test's data home."""
    old = os.environ.get("PATENT_DESK_HOME")
    os.environ["PATENT_DESK_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            del os.environ["PATENT_DESK_HOME"]
        else:
            os.environ["PATENT_DESK_HOME"] = old


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("PATENT_DESK_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def encoder():
    from core.models import bundled_encoder
    from core.models.encoder import Encoder

    return Encoder(bundled_encoder())


@pytest.fixture(scope="session")
def minilm():
    """The earlier default, all-MiniLM-L6-v2: still selectable, and what old workspaces use."""
    from core.models import bundled_encoder
    from core.models.encoder import Encoder

    return Encoder(bundled_encoder("all-MiniLM-L6-v2"))


@pytest.fixture(scope="session")
def llm():
    from core.models import bundled_llm
    from core.models.llm import LocalLLM

    return LocalLLM(bundled_llm())


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """A workspace file holding the three TIPO files, imported and embedded once."""
    from core.desk import Desk

    with data_home_at(tmp_path_factory.mktemp("demo-home")):
        with Desk("demo", encoder=encoder) as desk:
            assert desk.ws.count_items() == 725
            return desk.ws.path


@pytest.fixture(scope="session")
def weak_demo_file(tmp_path_factory: pytest.TempPathFactory, minilm) -> Path:
    """The demo corpus embedded with all-MiniLM-L6-v2, an encoder that cannot read most of
    it: what workspaces made before multilingual-e5 became the default look like."""
    from core import paths
    from core.desk import Desk

    with data_home_at(tmp_path_factory.mktemp("weak-home")):
        with Desk("weak", encoder=minilm) as desk:
            desk.ws.set_setting("models.encoder", minilm.id)
            desk.import_files(paths.demo_files())
            return desk.ws.path


@pytest.fixture
def weak_demo_workspace(weak_demo_file: Path, data_home: Path) -> str:
    """A private copy of the MiniLM-embedded demo in this test's data home; its name."""
    return private_copy(weak_demo_file, data_home, "weak")


@pytest.fixture
def demo_workspace(demo_file: Path, data_home: Path) -> str:
    """A private copy of the demo workspace in this test's data home; returns its name."""
    return private_copy(demo_file, data_home, "demo")


@pytest.fixture(scope="session")
def small_tipo_file(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """A 40-entry TIPO workspace (first rows of each demo file), imported once: small
    enough to tune in a test."""
    from tests.small_tipo import build_small_workspace

    return build_small_workspace(tmp_path_factory.mktemp("small-home"), encoder)


@pytest.fixture
def small_tipo_workspace(small_tipo_file: Path, data_home: Path) -> str:
    """A private copy of the small TIPO workspace in this test's data home; returns its name."""
    return private_copy(small_tipo_file, data_home, "small")


def private_copy(prepared: Path, data_home: Path, name: str) -> str:
    from core.store import known_files

    target = data_home / "workspaces"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(prepared, target / f"{name}.sqlite")
    # A copy made for the test stands for a workspace this computer made: known, so opening
    # it keeps its vectors (a file copied in by hand has its derived data rebuilt).
    known_files.remember(target / f"{name}.sqlite")
    return name


def run_cli(*args: str, home: Path, timeout: int = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `patent-desk` console script as a user would (`env`: extra variables)."""
    exe = Path(sys.executable).with_name("patent-desk")
    env = {**os.environ, "PATENT_DESK_HOME": str(home), **(env or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)  # no terminal: nothing asks y/N


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def workspace_content(path: Path) -> list:
    """Everything a user could see of a workspace, table by table (for 'unchanged' checks)."""
    import sqlean as sqlite3
    import sqlite_vec

    db = sqlite3.connect(str(path))
    db.enable_load_extension(True)
    sqlite_vec.load(db)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table') AND name NOT LIKE '%_fts_%'"
            " AND name NOT LIKE 'item_vectors_%' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return [(t, db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()) for t in tables]
    finally:
        db.close()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real PostgreSQL + pgvector server (the `pgserver` package) for the session."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the shared server for each test."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.get_uri(name)
