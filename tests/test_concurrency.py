"""Several users of one workspace: readers never wait for a writer (WAL), a second writer
waits its turn or, past the busy timeout, says "workspace busy" — and nothing is corrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.desk import Desk
from core.ingest import parse_file
from core.ingest.importer import import_file
from core.store import ItemChange, Workspace, open_workspace
from tests.conftest import DEMO_DIR, json_lines, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _cli(*args: str, home: Path, **env: str) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("patent-desk")
    return subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PATENT_DESK_HOME": str(home), **env})


FILE = DEMO_DIR / "patent_attorney_act_qa.csv"


@pytest.fixture
def firm(data_home: Path, encoder) -> Workspace:
    """Workspace 'firm' with FILE imported and embedded; re-importing FILE is a cheap write
    (nothing to embed, one transaction)."""
    with Desk("firm", encoder=encoder) as desk:
        import_file(desk.ws, FILE)  # what import_files does, less calibration
        desk.fill_vectors([])  # the vector table, empty: later imports find it
    return open_workspace("firm")


def test_readers_see_the_last_commit_while_a_writer_writes(firm: Workspace, data_home: Path):
    new = parse_file(DEMO_DIR / "utility_model_report_qa.csv").items
    with open_workspace("firm") as reader:
        firm.db.execute("BEGIN IMMEDIATE")
        firm.apply_changes([ItemChange(i, i.question, None) for i in new])
        assert firm.count_items() == 36 and reader.count_items() == 10
        other = run_cli("search", "新型專利技術報告", "--mode", "lexical", "--json", "-w", "firm",
                        home=data_home)
        assert other.returncode == 0, other.stderr  # another process reads, without waiting
        assert all(r["id"] <= 10 for r in json.loads(other.stdout)["results"])
        firm.db.execute("COMMIT")
        assert reader.count_items() == 36
    firm.close()


def test_a_second_writer_is_told_the_workspace_is_busy(firm: Workspace, data_home: Path):
    firm.db.execute("BEGIN IMMEDIATE")
    firm.set_setting("holding", True)
    try:
        result = _cli("import", str(FILE), "-w", "firm", home=data_home,
                      PATENT_DESK_BUSY_TIMEOUT="0.5")
        _, stderr = result.communicate(timeout=300)
    finally:
        firm.db.execute("ROLLBACK")
    assert result.returncode == 2
    assert stderr.strip().splitlines()[-1] == (
        "error: workspace 'firm' is busy: another Patent Desk window or command is writing to "
        "it (nothing was changed); try again when it has finished")
    assert "Traceback" not in stderr
    firm.close()


def test_a_second_writer_waits_its_turn(firm: Workspace, data_home: Path):
    firm.db.execute("BEGIN IMMEDIATE")
    firm.set_setting("holding", True)
    waiting = _cli("import", str(FILE), "-w", "firm", home=data_home)
    time.sleep(1.5)  # give it time to reach the lock (if it has not, it simply goes on later)
    firm.db.execute("COMMIT")
    stdout, stderr = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, stderr
    assert "0 added, 0 updated, 10 unchanged" in stdout
    assert firm.get_setting("holding") is True
    firm.close()


def test_two_imports_at_once_store_every_item_once(data_home: Path):
    file = DEMO_DIR / "utility_model_report_qa.csv"
    first = _cli("import", str(file), "--json", "-w", "firm", home=data_home)
    second = _cli("import", str(file), "--json", "-w", "firm", home=data_home)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    for process, (_, stderr) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    reports = [json_lines(stdout)[0] for stdout, _ in outputs]
    assert sorted(r["added"] for r in reports) in ([0, 26], [26, 26])
    assert all(r["added"] + r["unchanged"] == 26 for r in reports)
    with open_workspace("firm") as ws:
        assert ws.count_items() == 26
        assert ws.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert ws.db.execute("SELECT count(*) FROM items_fts").fetchone()[0] == 26
        assert ws.db.execute("SELECT count(*) FROM item_vectors").fetchone()[0] == 26


def _open_new_workspace(home: str, ready, results) -> None:  # a process of the test below
    os.environ["PATENT_DESK_HOME"] = home
    from core.errors import PatentDeskError
    from core.store import open_workspace as open_ws

    ready.wait()  # every process is loaded: the opens start together
    try:
        with open_ws("firm") as ws:
            results.put(("opened", ws.count_items()))
    except PatentDeskError as exc:
        results.put(("refused", str(exc)))


def test_processes_creating_one_new_workspace_at_once_all_open_it(tmp_path: Path):
    """Two imports into a new name start together: each must find a whole workspace, never
    a half-made one (refused as foreign) or an at-once "busy" without waiting its turn."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    for round_ in range(8):
        home = tmp_path / f"home{round_}"
        ready, results = spawn.Barrier(6), spawn.Queue()
        workers = [spawn.Process(target=_open_new_workspace, args=(str(home), ready, results))
                   for _ in range(6)]
        for w in workers:
            w.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        assert outcomes == [("opened", 0)] * 6, outcomes
        names = sorted(p.name for p in (home / "workspaces").iterdir())
        # SQLite's own -wal/-shm can outlive closes that come at the same instant (the last
        # closer removes them only if no other connection is still closing): benign; any
        # other file would be a half-made workspace left behind.
        assert [n for n in names if not n.endswith(("-wal", "-shm"))] == ["firm.sqlite"], names
