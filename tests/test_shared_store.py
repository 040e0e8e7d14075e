"""Several seats on one shared PostgreSQL store (each seat a process with its own data
folder), and the shared store at scale: the HNSW index built after a bulk load."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.conftest import TIPO_FILES, run_cli

# Starts the program and a database server: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SMALL = [f for f in TIPO_FILES if f.name != "patent_qa.csv"]  # 36 items: quick to embed
QUESTION = "新型專利技術報告有什麼用？"


def _vectors(url: str, workspace: str) -> dict[int, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(f'SELECT item_id, embedding::text FROM "patent_desk:{workspace}"'
                            ".item_vectors").fetchall()
    return dict(rows)


def test_two_seats_share_one_workspace_and_redo_nothing(pg_url: str, tmp_path: Path):
    """Two computers (two processes, each with its own data folder) on one PostgreSQL
    workspace: one imports while the other searches, then one tunes while the other imports.
    Every row is stored once, every item has one vector, and no seat re-embeds the other's."""
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("patent-desk"))
    env = {**os.environ, "PATENT_DESK_STORE": pg_url}
    seats = {name: {**env, "PATENT_DESK_HOME": str(tmp_path / name)} for name in ("a", "b")}
    second, first = SMALL  # the technical-report file holds QUESTION

    def start(seat: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([exe, *args, "--workspace", "office"], env=seats[seat],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def search() -> list[dict] | None:
        searched = start("b", "search", QUESTION, "--mode", "lexical", "--json")
        out, err = searched.communicate(timeout=300)
        if searched.returncode == 2 and "is empty; import a spreadsheet first" in err:
            return None  # before the first batch is committed: said in one line
        assert searched.returncode == 0 and "Traceback" not in err, err
        return json.loads(out)["results"]

    importing = start("a", "import", str(first))  # both seats open the new workspace at once
    while importing.poll() is None:
        search()
    _out, err = importing.communicate()
    assert importing.returncode == 0, err
    found = search()
    assert found and found[0]["question"].startswith("新型專利技術報告")
    before = _vectors(pg_url, "office")
    assert len(before) == 26  # the import filled its vectors

    tuning = start("a", "tune", "--kind", "query", "--epochs", "1", "--max-train", "32",
                   "--llm-angles", "off")
    adding = start("b", "import", str(second))
    for proc in (tuning, adding):
        _out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0 and "Traceback" not in err, err
    after = _vectors(pg_url, "office")
    assert len(after) == 36 and {k: after[k] for k in before} == before  # nothing redone
    listed = run_cli("adapters", "list", "--workspace", "office", "--json",
                     home=tmp_path / "b", env={"PATENT_DESK_STORE": pg_url})
    assert len(json.loads(listed.stdout)["adapters"]) == 1, listed.stderr
    found = run_cli("search", QUESTION, "--workspace", "office", "--json",
                    home=tmp_path / "b", env={"PATENT_DESK_STORE": pg_url})
    questions = [r["question"] for r in json.loads(found.stdout)["results"]]
    assert questions[0].startswith("新型專利技術報告") and len(set(questions)) == len(questions)


OPEN_AT_ONCE = '''
import sys, time
from core.store.postgres import PgWorkspace

start = float(sys.argv[2])
while time.time() < start:  # every process opens at the same moment
    pass
PgWorkspace(sys.argv[1], "new-office").close()
'''


def test_seats_opening_a_new_workspace_at_once_all_get_it(pg_url: str):
    """Each seat creates the pgvector extension and the workspace's schema when it finds
    none: before they took turns, three of four seats opening a new workspace at the same
    moment failed on the others' schema ("duplicate key ... pg_namespace")."""
    import subprocess
    import sys
    import time

    start = str(time.time() + 3)
    seats = [subprocess.Popen([sys.executable, "-c", OPEN_AT_ONCE, pg_url, start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    for seat in seats:
        _out, err = seat.communicate(timeout=120)
        assert seat.returncode == 0, err[-2000:]


class _GivenVectors:
    """A stand-in document encoder for the fill: each text's vector is given."""

    dim, doc_space_id = 384, "given"
    source = SimpleNamespace(pinned=[SimpleNamespace(sha256="given")])

    def __init__(self, by_text: dict[str, np.ndarray]) -> None:
        self.by_text = by_text

    def encode_documents(self, texts: list[str], **_: object) -> np.ndarray:
        return np.stack([self.by_text[t] for t in texts])


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_a_large_workspace_searches_through_an_hnsw_index_built_after_the_load(pg_url: str):
    """The HNSW path (the threshold lowered to 1,500 vectors) finds numpy's exact top 10 for
    questions near stored items; the index is built when the fill's last batch commits, not
    before, goes with a reset, and comes with migrate-store's copy; exact=True scans."""
    from core import vectors
    from core.records import document_text
    from core.store.postgres import HNSW_INDEX, PgWorkspace
    from core.store.transfer import copy_workspace

    rng = np.random.default_rng(18)
    n, topics = 2000, 100  # 20 items a topic: the top 10 of a question are its topic's
    centres = _unit(rng.standard_normal((topics, 384)))
    matrix = _unit(centres[np.arange(n) % topics] + 0.5 * _unit(rng.standard_normal((n, 384))))
    ws = PgWorkspace(pg_url, "large", hnsw_min=1500)
    with ws.transaction():
        ws.db.execute("INSERT INTO items(id, question, answer, question_key, content_hash,"
                      " imported_at, updated_at) SELECT g, 'question ' || g, 'answer',"
                      " 'k' || g, 'h', '', '' FROM generate_series(1, ?) g", (n,))
        ws.after_copy()  # the id counter moves past the rows written with their ids
    items = ws.get_items(ws.item_ids())
    encoder = _GivenVectors({document_text(it): matrix[it.id - 1] for it in items})
    indexed_during: list[bool] = []
    vectors.fill_missing(ws, encoder,  # type: ignore[arg-type]
                         progress=lambda _s, done, total: indexed_during.append(
                             done < total and ws.has_vector_index()))
    assert ws.count_vectors() == n and not any(indexed_during) and ws.has_vector_index()

    picks = rng.choice(n, 20, replace=False)
    queries = _unit(matrix[picks] + 0.3 * _unit(rng.standard_normal((20, 384))))
    exact_top = np.argsort(-(queries @ matrix.T), axis=1)[:, :10] + 1
    found, scans_sql = 0, "SELECT pg_stat_get_xact_numscans(?::regclass)"
    for query, truth in zip(queries, exact_top, strict=True):
        with ws.db.conn.transaction():  # the index's scans counted within this transaction
            fast = ws.vector_search(query, 10)
            scans = ws.db.execute(scans_sql, (HNSW_INDEX,)).fetchone()[0]
            exact = ws.vector_search(query, 10, exact=True)
            assert ws.db.execute(scans_sql, (HNSW_INDEX,)).fetchone()[0] == scans >= 1
            assert ws.db.execute("SHOW enable_indexscan").fetchone()[0] == "on"
        assert [i for i, _ in exact] == truth.tolist()  # numpy's order (no ties here)
        assert np.allclose([s for _, s in exact], [query @ matrix[i - 1] for i in truth],
                           atol=1e-5)  # cosines: the vectors are unit
        assert len(fast) == 10
        found += {i for i, _ in fast} == set(truth.tolist())
    assert found >= 18, found  # a graph search may miss one now and then; not more

    target = PgWorkspace(pg_url, "copied", hnsw_min=1500)
    copy_workspace(ws, target)
    assert target.has_vector_index() and target.count_vectors() == n
    with ws.transaction():
        ws.reset_vectors(384, "given")  # a re-embedding starts: the index goes with the table
    assert not ws.has_vector_index()
    ws.close()
    target.close()
