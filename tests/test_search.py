"""Retrieval on the TIPO corpus: lexical at least as good as bigram BM25, Simplified and
full-width queries, hybrid never dragged below lexical, and the CLI's output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from core.desk import Desk
from core.evaluate import metrics, probe_lexical, probe_queries, rank_of
from core.ingest import question_key
from core.retrieve import fuse
from core.text import char_tokens
from tests.conftest import REALISTIC_QUERIES, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture
def desk(demo_workspace: str, encoder):
    with Desk(demo_workspace, encoder=encoder) as desk:
        yield desk


@pytest.fixture(scope="module")
def realistic() -> list[dict]:
    return [json.loads(line) for line in REALISTIC_QUERIES.read_text("utf-8").splitlines()]


def _gold_ids(desk: Desk, queries: list[dict]) -> list[int]:
    by_question = {question_key(i.question): i.id for i in desk.ws.iter_items()}
    return [by_question[question_key(q["gold"])] for q in queries]


def test_lexical_is_at_least_as_good_as_bm25_over_character_bigrams(desk: Desk, realistic):
    items = list(desk.ws.iter_items())
    bm25 = BM25Okapi([char_tokens(f"{i.question} {i.answer}") for i in items])
    gold = _gold_ids(desk, realistic)
    reference, ours = [], []
    retriever = desk.retriever(dense=False)
    for q, g in zip(realistic, gold, strict=True):
        order = np.argsort(-bm25.get_scores(char_tokens(q["query"])))[:10]
        reference.append(rank_of(g, [items[j].id for j in order]))
        ours.append(rank_of(g, [i for i, _ in retriever.lexical(q["query"], 10)]))
    ref, got = metrics(reference), metrics(ours)
    assert got.hit1 >= ref.hit1 and got.mrr10 >= ref.mrr10, (got, ref)


def test_simplified_and_full_width_queries_find_traditional_items(desk: Desk):
    top = desk.search("新型专利技术报告 申请", k=3, mode="lexical")[0].item
    assert "新型專利技術報告" in top.question
    assert desk.search("ＰＰＨ", k=3, mode="lexical")[0].item.question == desk.search(
        "PPH", k=3, mode="lexical")[0].item.question


@pytest.fixture
def weak_desk(weak_demo_workspace: str, minilm):
    with Desk(weak_demo_workspace, encoder=minilm) as desk:
        yield desk


def test_hybrid_beats_both_channels_with_the_default_encoder(desk: Desk, realistic):
    """multilingual-e5 reads the corpus: fused, the two channels find more than either."""
    gold = _gold_ids(desk, realistic)
    found = {mode: metrics([rank_of(g, [h.item.id for h in desk.search(q["query"], 10, mode)])
                            for q, g in zip(realistic, gold, strict=True)])
             for mode in ("lexical", "dense", "hybrid")}
    assert found["hybrid"].hit1 > max(found["lexical"].hit1, found["dense"].hit1), found
    assert found["hybrid"].mrr10 > max(found["lexical"].mrr10, found["dense"].mrr10), found


def test_answer_sentence_probes_are_measured_as_inverse_cloze_and_the_index_is_kept(desk: Desk):
    """Calibration searches each answer-sentence probe with that sentence taken out of its
    own entry, so a verbatim quote cannot teach fusion to trust words over meaning; what is
    stored, and what a user then finds, stays exactly as it was."""
    ws = desk.ws
    retriever = desk.retriever()
    before = {i: ws.index_tokens(i) for i in ws.item_ids()}
    probes = probe_queries(retriever)
    cloze = [n for n, q in enumerate(probes) if q.angle == "answer_sentence"]
    assert len(cloze) > 50

    def found(hits: list[list[tuple[int, float]]]) -> float:
        return metrics([rank_of(probes[n].item_id, [i for i, _ in hits[n][:10]])
                        for n in cloze]).mrr10

    verbatim = [retriever.lexical(q.text) for q in probes]
    measured = probe_lexical(retriever, probes)
    assert found(measured) < found(verbatim) - 0.2, (found(measured), found(verbatim))
    desk.refresh_quality()
    assert {i: ws.index_tokens(i) for i in ws.item_ids()} == before
    first = probes[cloze[0]]
    assert desk.search(first.text, k=1, mode="lexical")[0].item.id == first.item_id


def test_hybrid_is_calibrated_so_a_weak_encoder_cannot_drag_it_below_lexical(
        weak_desk: Desk, realistic):
    desk = weak_desk
    fusion = desk.ws.get_setting("fusion")
    assert fusion["hybrid_mrr"] >= fusion["lexical_mrr"]  # on the workspace's probe queries
    retriever = desk.retriever()
    gold = _gold_ids(desk, realistic)
    vectors = desk.encoder.encode_queries([q["query"] for q in realistic])
    lex = [retriever.lexical(q["query"]) for q in realistic]
    den = [retriever.dense(q["query"], vector=v) for q, v in zip(realistic, vectors, strict=True)]

    def score(weight: float | None = None, rrf: bool = False):
        ranks = []
        for g, lx, dn in zip(gold, lex, den, strict=True):
            if rrf:  # plain reciprocal-rank fusion, the naive alternative
                s: dict[int, float] = {}
                for hits in (lx, dn):
                    for r, (i, _) in enumerate(hits, start=1):
                        s[i] = s.get(i, 0.0) + 1 / (60 + r)
                ranked = sorted(s, key=lambda i: -s[i])
            else:
                ranked = [i for i, _ in fuse(lx, dn, weight)]  # type: ignore[arg-type]
            ranks.append(rank_of(g, ranked[:10]))
        return metrics(ranks)

    lexical, hybrid, rrf = score(0.0), score(fusion["dense_weight"]), score(rrf=True)
    assert hybrid.mrr10 >= lexical.mrr10 - 0.005 and hybrid.hit10 >= lexical.hit10 - 0.005
    assert rrf.hit1 < lexical.hit1 - 0.1  # what calibration protects users from


def test_search_json_output(data_home: Path, demo_workspace: str):
    result = run_cli("search", "專利年費可以預繳嗎", "--workspace", demo_workspace, "--json",
                     "--k", "5", home=data_home)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)["results"]
    assert len(results) == 5
    assert set(results[0]) == {"id", "question", "answer", "category", "score", "channels"}
    assert "預繳" in results[0]["question"]
    assert set(results[0]["channels"]) <= {"lexical", "dense"} and results[0]["channels"]
    # The reference scan of every stored vector finds the same entries.
    exact = run_cli("search", "專利年費可以預繳嗎", "--workspace", demo_workspace, "--json",
                    "--k", "5", "--exact", home=data_home)
    assert exact.returncode == 0, exact.stderr
    assert [h["id"] for h in json.loads(exact.stdout)["results"]] == [h["id"] for h in results]


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_each_mode_answers_from_the_cli(data_home: Path, demo_workspace: str, mode: str):
    result = run_cli("search", "優先權期間", "--mode", mode, "--workspace", demo_workspace,
                     "--json", home=data_home)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["results"]
    assert hits
    if mode != "hybrid":
        assert all(set(h["channels"]) == {mode} for h in hits)


def test_weak_encoder_is_named_once_with_the_percentage(data_home: Path,
                                                       weak_demo_workspace: str):
    result = run_cli("search", "專利", "--workspace", weak_demo_workspace, home=data_home)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "cannot read" in line]
    assert len(notes) == 1
    assert "all-MiniLM-L6-v2" in notes[0] and "%" in notes[0] and "multilingual" in notes[0]


def test_searching_an_empty_workspace_says_what_to_do(data_home: Path):
    result = run_cli("search", "專利", "--workspace", "empty", home=data_home)
    assert result.returncode == 2
    assert "is empty; import a spreadsheet first" in result.stderr
