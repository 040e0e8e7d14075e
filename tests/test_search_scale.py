"""Search paths for large workspaces, checked on corpora small enough for both paths to be
cheap: the in-memory dense copy returns sqlite-vec's exact top 10 and never serves a stale
vector, and the bounded lexical plan ranks what it scores as full BM25 does."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core.records import NewItem
from core.store import ItemChange, Workspace, lexical_plan, open_workspace
from core.store.workspace import Workspace as SqliteWorkspace
from core.text import char_tokens

DIM = 32


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def corpus() -> tuple[Workspace, np.ndarray]:
    """2,000 items with random unit vectors (item id n+1 holds row n)."""
    rng = np.random.default_rng(3)
    vectors = _unit(rng.standard_normal((2000, DIM)))
    ws = open_workspace("scale")
    with ws.transaction():
        ws.reset_vectors(DIM, "random")
        ws.apply_changes([ItemChange(NewItem(f"問題{n}", f"答案{n}"), f"k{n}", None, vectors[n])
                          for n in range(len(vectors))])
    yield ws, vectors
    ws.close()


def _queries(vectors: np.ndarray, n: int = 25) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    rows = vectors[rng.integers(len(vectors), size=n)]
    return list(_unit(rows + 0.3 * rng.standard_normal(rows.shape)))


def test_the_fast_path_returns_the_exact_top_10(corpus):
    ws, vectors = corpus
    for query in _queries(vectors):
        fast = ws.vector_search(query, 10, exact=False)
        exact = ws.vector_search(query, 10, exact=True)
        numpy_top = [int(i) + 1 for i in np.argsort(-(vectors @ query))[:10]]
        assert [i for i, _ in fast] == [i for i, _ in exact] == numpy_top
        assert np.allclose([s for _, s in fast], [s for _, s in exact], atol=1e-5)


def test_the_fast_path_sees_every_change_to_the_vectors(corpus, data_home):
    ws, vectors = corpus
    query = vectors[41]  # item 42's own vector
    assert ws.vector_search(query, 1, exact=False)[0][0] == 42  # the copy is loaded now
    with ws.transaction():
        ws.delete_items([42])
    assert 42 not in [i for i, _ in ws.vector_search(query, 10, exact=False)]
    # Another connection (the CLI while the window is open) writes: the copy follows.
    other = SqliteWorkspace(ws.path)
    with other.transaction():
        other.put_vectors([7], query[None, :])
    other.close()
    assert ws.vector_search(query, 1, exact=False)[0][0] == 7
    # A write that is rolled back leaves the copy exactly as the stored vectors are.
    with pytest.raises(RuntimeError), ws.transaction():
        ws.put_vectors([8], query[None, :])
        assert {i for i, _ in ws.vector_search(query, 2, exact=False)} == {7, 8}  # inside only
        raise RuntimeError("abandoned")
    assert [i for i, _ in ws.vector_search(query, 3, exact=False)] == [
        i for i, _ in ws.vector_search(query, 3, exact=True)]
    with ws.transaction():
        ws.drop_vectors()
    assert ws.vector_search(query, 5, exact=False) == []


def test_small_workspaces_search_with_sqlite_vec_and_large_ones_with_the_copy(corpus):
    ws, vectors = corpus
    ws.vector_search(vectors[0], 10)  # 2,000 items: below the fast path's size
    assert ws._vector_copy is None
    ws.vector_search(vectors[0], 10, exact=False)
    assert ws._vector_copy is not None and len(ws._vector_copy.ids) == 2000


def _texts() -> list[str]:
    pick = random.Random(7)
    common = ["專利申請", "專利說明"]  # 專利 in every item, 申請 in about half
    rare = [f"{a}{b}" for a in "甲乙丙丁戊己庚辛" for b in "子丑寅卯辰巳午未"]
    return [f"{pick.choice(common)}{pick.choice(rare)}{pick.choice(rare)}" for _ in range(400)]


def test_common_bigrams_no_longer_make_every_item_a_candidate(data_home):
    texts = _texts()
    ws = open_workspace("bigrams")
    with ws.transaction():
        ws.apply_changes([ItemChange(NewItem(t, "說明"), f"k{n}", None)
                          for n, t in enumerate(texts)])
    weights = (0.2, 1.0, 0.0)

    def tokens(*words: str) -> list[str]:  # as the index holds them (folded)
        return [t for word in words for t in char_tokens(word)]

    # 400 items: below the bound, every item holding any bigram is scored.
    assert len(ws.lexical_search(tokens("專利", "甲子"), weights, 400)) == 400
    ws.common_items = 50  # as if the workspace were large: 專利 and 申請 are now common
    assert len(ws.lexical_search(tokens("專利"), weights, 500)) == 400  # a lone bigram: as it is
    rare = ws.lexical_search(tokens("專利", "甲子"), weights, 400)
    assert sorted(i for i, _ in rare) == [n + 1 for n, t in enumerate(texts) if "甲子" in t]
    # Common bigrams only: the items that hold them all, best BM25 first.
    both = ws.lexical_search(tokens("專利", "申請"), weights, 400)
    assert sorted(i for i, _ in both) == [n + 1 for n, t in enumerate(texts) if "申請" in t]
    # A rare bigram, or all the common ones: either makes an item a candidate.
    mixed = ws.lexical_search(tokens("專利", "申請", "甲子"), weights, 400)
    assert sorted(i for i, _ in mixed) == [n + 1 for n, t in enumerate(texts)
                                           if "甲子" in t or "申請" in t]
    assert [s for _, s in mixed] == sorted((s for _, s in mixed), reverse=True)
    ws.close()


def test_rare_bigrams_beyond_the_budget_join_the_common_ones():
    held = {"甲": 10, "乙": 30, "丙": 50, "丁": 900}
    together = {'("丙" AND "丁")': 5}

    def matching(expression: str, cap: int) -> int:
        return together.get(expression) or held[expression.strip('"')]

    plan = lexical_plan.match_expression(list(held), 10_000, matching, common=100, budget=45)
    assert plan == '"甲" OR "乙" OR ("丙" AND "丁")'
    # Below the size where bigrams can be common, the query is searched as it is.
    assert lexical_plan.match_expression(list(held), 100, matching,
                                         common=100) == '"甲" OR "乙" OR "丙" OR "丁"'


def test_common_bigrams_held_together_by_too_many_items_leave_the_ranking_to_rare_ones():
    """申請 and 請案 are both common and nearly always together: their AND would score
    most of the corpus. Past the budget it is left out while rare bigrams can rank."""
    held = {"甲": 10, "乙": 30, "丙": 500, "丁": 900}

    def matching(expression: str, cap: int) -> int:
        return 450 if "AND" in expression else held[expression.strip('"')]

    assert lexical_plan.match_expression(list(held), 10_000, matching, common=100,
                                         budget=200) == '"甲" OR "乙"'
    # With no rare bigram the common ones, all together, are the only ranking there is.
    assert lexical_plan.match_expression(["丙", "丁"], 10_000, matching, common=100,
                                         budget=200) == '("丙" AND "丁")'
