"""Crash consistency: a real `patent-desk` process is killed (SIGKILL) at random points of
an import, a re-embedding, a tuning run and an adapter activation. After every kill the
workspace opens, SQLite's integrity check passes, the items are all old or all new (never
half), every item has its index rows and vector, the previously active adapter still loads;
and the next run of the interrupted job finishes cleanly (it resumes or restarts).

Knobs: PATENT_DESK_CRASH_LOOPS kills per job (default 1 for CI; e.g. 25 for a long run);
PATENT_DESK_CRASH_SEED fixes the kill points (else random, and shown on failure). A kill
point is "the N-th progress line, then a random 0-1.5 s": spread over the whole job.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.desk import Desk
from core.models import bundled_encoder
from core.models.encoder import AdapterSpec
from core.store import Workspace
from core.store.tuning import AdapterStore
from core.tune.adapters import attach_stored, dump_weights
from core.tune.trainer import TrainConfig
from tests.conftest import DEMO_DIR, data_home_at, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

LOOPS = int(os.environ.get("PATENT_DESK_CRASH_LOOPS", "1"))
SEED = int(os.environ.get("PATENT_DESK_CRASH_SEED", str(random.randrange(10**6))))
OLD_FILE = DEMO_DIR / "patent_attorney_act_qa.csv"


@dataclass
class Base:
    home: Path  # data home holding workspace "crash" (10 items, adapter A active, B stored)
    query_adapter: int
    symmetric_adapter: int
    new_file: Path  # OLD_FILE's 10 questions with new answers + 26 more items
    encoder_copy: Path


def _items(ws: Workspace) -> frozenset[tuple[str, str]]:
    return frozenset((i.question, i.answer) for i in ws.iter_items())


def _new_file(folder: Path) -> Path:
    rows = []
    for name in (OLD_FILE, DEMO_DIR / "utility_model_report_qa.csv"):
        with open(name, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                answer = row["解答"] + (" (修訂)" if name == OLD_FILE else "")
                rows.append([row["題目"], answer])
    path = folder / "new.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["題目", "解答"], *rows])
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, encoder) -> Base:
    folder = tmp_path_factory.mktemp("crash-base")
    with data_home_at(folder / "home"):
        with Desk("crash", encoder=encoder) as desk:
            desk.import_files([OLD_FILE])
            ids = []
            for kind in ("query", "symmetric"):  # untrained LoRA weights: real format, quick
                config = TrainConfig(kind=kind)
                encoder.attach_adapter(AdapterSpec(kind, config.lora()))
                state = {k: v.detach().clone() for k, v in encoder.adapter_state().items()}
                encoder.detach_adapter()
                ids.append(AdapterStore(desk.ws).add(
                    encoder.id, kind, {"lora": config.lora()}, {"fusion_weight": 0.15},
                    dump_weights(state)))
            desk.activate_adapter(ids[0])
            desk.encoder.detach_adapter()
    copy = folder / "encoder-copy"
    shutil.copytree(bundled_encoder().path, copy)
    return Base(folder / "home", ids[0], ids[1], _new_file(folder), copy)


def _kill_at_random_point(args: list[str], home: Path, rng: random.Random) -> str:
    """Start the job; SIGKILL it after a random progress line plus a random delay."""
    exe = Path(sys.executable).with_name("patent-desk")
    process = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PATENT_DESK_HOME": str(home)})
    anchor, delay = rng.randint(0, 12), rng.uniform(0.0, 1.5)
    seen = threading.Semaphore(0)
    lines: list[str] = []

    def read() -> None:
        for line in process.stderr:  # type: ignore[union-attr]
            lines.append(line)
            seen.release()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    for _ in range(anchor):
        while not seen.acquire(timeout=0.1):
            if process.poll() is not None:
                break
        if process.poll() is not None:
            break
    time.sleep(delay)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    reader.join(timeout=10)
    assert "Traceback" not in "".join(lines), "".join(lines)
    return f"anchor line {anchor} + {delay:.2f}s, rc {process.returncode}, last: {lines[-1:]}"


def _check_consistent(path: Path, encoder, allowed_items: list[frozenset],
                      allowed_active: set[int | None], loads: int, where: str,
                      embedded: bool = False) -> None:
    """`embedded`: every item has its vector (a kill may leave the fill partway, which the
    next run resumes; a vector is never left without its item)."""
    with Workspace(path) as ws:  # opens: WAL recovery happens here
        db = ws.db
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
        assert db.execute("PRAGMA foreign_key_check").fetchall() == [], where
        db.execute("INSERT INTO items_fts(items_fts) VALUES('integrity-check')")
        assert _items(ws) in allowed_items, where
        n = ws.count_items()
        assert db.execute("SELECT count(*) FROM items_fts").fetchone()[0] == n, where
        vectors = db.execute("SELECT count(*) FROM item_vectors").fetchone()[0]
        assert vectors == n if embedded else vectors <= n, where
        assert db.execute("SELECT count(*) FROM item_vectors WHERE rowid NOT IN "
                          "(SELECT id FROM items)").fetchone()[0] == 0, where
        store = AdapterStore(ws)
        active = store.active()
        assert (active.id if active else None) in allowed_active, where
        for adapter in {loads, *(a.id for a in [active] if a)}:
            attach_stored(encoder, ws, store.get(adapter))  # type: ignore[arg-type]
            encoder.detach_adapter()


def _fresh_home(base: Base, tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    shutil.copytree(base.home, home)
    return home, home / "workspaces" / "crash.sqlite"


JOBS = ["import", "embed", "tune", "activate"]


@pytest.mark.parametrize("job", JOBS)
def test_a_killed_job_leaves_a_consistent_workspace_and_reruns_cleanly(
        job: str, base: Base, tmp_path: Path, encoder):
    rng = random.Random(f"{SEED}-{job}")
    home, path = _fresh_home(base, tmp_path)
    with Workspace(path) as ws:
        old_items, adapters_before = _items(ws), len(AdapterStore(ws).list())
    new_items = old_items
    args = {"import": ["import", str(base.new_file)],
            "embed": ["models", "set-encoder", str(base.encoder_copy)],
            "tune": ["tune", "--epochs", "1", "--per-angle", "1", "--llm-angles", "off"],
            "activate": ["adapters", "activate", str(base.symmetric_adapter)]}[job]
    args += ["--workspace", "crash"]
    if job == "import":
        with Workspace(Path(tmp_path / "probe.sqlite")) as probe:
            from core.ingest.importer import import_file

            import_file(probe, base.new_file)
            new_items = _items(probe)
        assert len(new_items) == 36 and not new_items & old_items
    active = {base.query_adapter}
    if job == "activate":
        active.add(base.symmetric_adapter)
    for loop in range(LOOPS):
        where = f"{job}, loop {loop}, seed {SEED}: " + _kill_at_random_point(args, home, rng)
        if job == "tune":
            with Workspace(path) as ws:
                active |= {a.id for a in AdapterStore(ws).list()}  # a new one may have won
        _check_consistent(path, encoder, [old_items, new_items], active, base.query_adapter,
                          where)

    finished = run_cli(*args, home=home)  # the next run resumes or restarts, and finishes
    assert finished.returncode == 0, finished.stderr
    with Workspace(path) as ws:
        assert _items(ws) == new_items
        store = AdapterStore(ws)
        if job == "tune":
            assert len(store.list()) > adapters_before
            done = ws.db.execute("SELECT count(DISTINCT item_id) FROM generation_log")
            assert done.fetchone()[0] == ws.count_items()
        if job == "activate":
            assert store.active().id == base.symmetric_adapter  # type: ignore[union-attr]
            assert ws.vector_encoder() == f"{encoder.id}+adapter:{base.symmetric_adapter}"
        if job == "embed":
            assert ws.get_setting("models.encoder") == str(base.encoder_copy)
            assert ws.vector_encoder() == str(base.encoder_copy)
    _check_consistent(path, encoder, [new_items], active | {None}, base.query_adapter,
                      f"{job} after the clean run", embedded=True)
