"""The tuning loop on a small real corpus: queries, negatives, LoRA training, adapters,
evaluation and the CLI (real bundled encoder; the small corpus keeps it quick)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.desk import Desk
from core.errors import Cancelled
from core.store.tuning import AdapterStore, QueryStore
from core.tune.loop import TuneOptions, TuneReport
from core.tune.negatives import mine_negatives
from core.tune.trainer import TrainConfig
from tests.conftest import (
    DEMO_DIR,
    REALISTIC_QUERIES,
    data_home_at,
    json_lines,
    private_copy,
    run_cli,
)

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

SMALL = [DEMO_DIR / "utility_model_report_qa.csv", DEMO_DIR / "patent_attorney_act_qa.csv"]
QUICK = TuneOptions(per_angle=1, train=TrainConfig(epochs=2))


@pytest.fixture
def small(encoder):
    with Desk("small", encoder=encoder) as desk:
        desk.import_files(SMALL)
        yield desk
        desk.encoder.detach_adapter()


@dataclass
class TunedOnce:
    """The small corpus after one QUICK tuning run, and what that run showed while it ran."""
    path: Path
    report: TuneReport
    stages: set[str]
    item_vectors_kept: bool


@pytest.fixture(scope="module")
def tuned_once(tmp_path_factory: pytest.TempPathFactory, encoder) -> TunedOnce:
    """One real tuning run shared by the tests that start from a tuned workspace (each gets
    its own copy): a run takes about 25 s on 2 cores."""
    with data_home_at(tmp_path_factory.mktemp("tuned-home")):
        with Desk("small", encoder=encoder) as desk:
            desk.import_files(SMALL)
            ids = desk.ws.item_ids()
            vectors = desk.ws.get_vectors(ids)
            stages: list[str] = []
            desk.progress = lambda stage, done, total: stages.append(stage)
            try:
                report = desk.tune(QUICK, llm_angles="off")
                kept = np.array_equal(desk.ws.get_vectors(ids), vectors)
            finally:
                desk.encoder.detach_adapter()
            return TunedOnce(desk.ws.path, report, set(stages), kept)


@pytest.fixture
def tuned(tuned_once: TunedOnce, data_home: Path, encoder):
    """A private copy of the tuned small workspace, open."""
    with Desk(private_copy(tuned_once.path, data_home, "small"), encoder=encoder) as desk:
        yield desk
        desk.encoder.detach_adapter()


def test_rule_angles_are_generated_once_and_cached(small: Desk):
    from core.tune.dataset import build_queries

    first = build_queries(small.ws, per_angle=1)
    assert set(first.stored) == {"typo", "simplified", "keyword", "truncated", "answer_sentence"}
    assert first.added == sum(first.stored.values()) > 36 * 3
    again = build_queries(small.ws, per_angle=1)
    assert again.added == 0 and again.stored == first.stored
    store = QueryStore(small.ws)
    splits = {q.split for q in store.list()}
    assert splits == {"train", "heldout"}


def test_llm_angles_run_on_chinese_items_within_a_budget_and_the_next_run_continues(
        small: Desk, llm):
    from core.tune.dataset import build_queries

    # Two of the five angles: one batch of every angle of four items takes about a minute,
    # and a run always finishes the batch it started (tests/test_augment_llm.py covers all five).
    roles = ("concept", "keyword")
    first = build_queries(small.ws, per_angle=1, llm=llm, llm_k=2, roles=roles, llm_budget_s=8)
    total = small.ws.count_items()
    assert first.llm_skipped is None and 1 <= first.llm_items < total
    assert f"cover {first.llm_items} of {total} items" in first.llm_note
    written = [q for q in QueryStore(small.ws).list() if q.source == "llm"]
    assert written and {q.angle for q in written} <= set(roles)
    again = build_queries(small.ws, per_angle=1, llm=llm, llm_k=2, roles=roles, llm_budget_s=8)
    assert again.llm_items > first.llm_items  # it went on where the first run stopped
    assert not {(q.item_id, q.text) for q in written} - {
        (q.item_id, q.text) for q in QueryStore(small.ws).list()}  # and kept what it had


def test_review_status_controls_what_is_trained_on(small: Desk):
    from core.tune.dataset import build_queries

    build_queries(small.ws, per_angle=1)
    store = QueryStore(small.ws)
    first, second = store.list()[:2]
    store.set_status(first.id, "rejected")
    store.set_status(second.id, "edited", text="專利師 執業 方式")
    texts = {q.text: q.status for q in store.list()}
    assert first.text not in texts and texts["專利師 執業 方式"] == "edited"


def test_negatives_never_include_the_gold_item(small: Desk):
    retriever = small.retriever()
    ids = small.ws.item_ids()
    items = small.ws.get_items(ids[:5])
    queries, gold = [i.question[:8] for i in items], [i.id for i in items]
    for mode in ("hard", "random", "both"):
        negatives = mine_negatives(retriever, queries, gold, mode, hard=4, rand=4)
        for g, negs in zip(gold, negatives, strict=True):
            assert g not in negs and negs and len(set(negs)) == len(negs)
    hard = mine_negatives(retriever, queries, gold, "hard", hard=3, rand=0)
    rand = mine_negatives(retriever, queries, gold, "random", hard=0, rand=3)

    def closeness(negatives: list[list[int]]) -> float:
        pairs = [(q, n) for q, negs in zip(queries, negatives, strict=True) for n in negs]
        return sum(retriever.coverage(q, n) for q, n in pairs) / len(pairs)

    assert closeness(hard) > closeness(rand)  # hard negatives look like the right answer


def test_query_side_tuning_keeps_item_vectors_and_records_an_adapter(tuned_once: TunedOnce,
                                                                     tuned: Desk):
    report = tuned_once.report
    assert {"generating queries", "training"} <= tuned_once.stages
    assert set(report.timings) == {"generate", "mine", "train", "eval"}
    assert tuned_once.item_vectors_kept  # nothing re-embedded
    [adapter] = AdapterStore(tuned.ws).list()
    assert adapter.kind == "query" and adapter.base_encoder == tuned.encoder.id
    assert adapter.active == report.activated
    assert adapter.metrics["heldout"] == report.after
    assert report.after["hybrid"]["mrr@10"] > 0.5


def test_tuning_activates_only_an_adapter_that_beats_the_active_one(tuned_once: TunedOnce,
                                                                    tuned: Desk):
    first = tuned_once.report
    second = tuned.tune(QUICK, llm_angles="off")
    active = AdapterStore(tuned.ws).active()
    if second.activated:
        assert active is not None and active.id == second.adapter_id
    elif first.activated:
        assert active is not None and active.id == first.adapter_id
    else:
        assert active is None


def test_cancelling_training_changes_nothing(small: Desk):
    cancel = threading.Event()
    small.cancel = cancel
    small.progress = lambda stage, done, total: cancel.set() if stage == "training" else None
    with pytest.raises(Cancelled):
        small.tune(QUICK, llm_angles="off")
    assert AdapterStore(small.ws).list() == []
    assert small.encoder.adapter is None


def test_cancelling_a_retrain_keeps_the_active_adapter_searching_as_before(tuned: Desk):
    small = tuned
    [adapter] = AdapterStore(small.ws).list()
    small.activate_adapter(adapter.id)
    query = "新型專利技術報告 費用"
    before = small.retriever().dense(query, 5)
    cancel = threading.Event()
    small.cancel = cancel
    small.progress = lambda stage, done, total: cancel.set() if stage == "training" else None
    with pytest.raises(Cancelled):
        small.tune(QUICK, llm_angles="off")
    assert [a.id for a in AdapterStore(small.ws).list()] == [adapter.id]
    assert small.encoder.adapter is not None and small.encoder.adapter.id == adapter.id
    assert small.retriever().dense(query, 5) == before


def test_activate_and_roll_back(tuned: Desk):
    small = tuned
    [adapter] = AdapterStore(small.ws).list()
    query = "新型專利技術報告 費用"
    base = small.retriever().dense(query, 3)
    small.activate_adapter(adapter.id)
    assert small.encoder.adapter is not None and small.encoder.adapter.id == adapter.id
    tuned = small.retriever().dense(query, 3)
    if adapter.metrics["best_epoch"] > 0:  # epoch 0 is the untouched base model
        assert tuned != base
    small.activate_adapter(None)
    assert small.encoder.adapter is None
    assert small.retriever().dense(query, 3) == base


def test_tune_adapters_and_eval_from_the_cli(tmp_path: Path, data_home: Path):
    assert run_cli("import", *map(str, SMALL), home=data_home).returncode == 0
    # An LLM that writes English only is not asked for Chinese queries, and the report says so.
    assert run_cli("models", "set-llm", "bundled:SmolLM2-135M-Instruct (Q4_1)",
                   home=data_home).returncode == 0
    tuned = run_cli("tune", "--json", "--kind", "query", "--epochs", "1", "--per-angle", "1",
                    "--max-train", "200", home=data_home)
    assert tuned.returncode == 0, tuned.stderr
    report = json.loads(tuned.stdout)
    for key in ("generate_s", "mine_s", "train_s", "eval_s", "queries_per_angle", "before",
                "after", "adapter_id", "activated"):
        assert key in report
    assert "LLM angles were skipped" in report["queries"]["llm_skipped"]
    listed = run_cli("adapters", "list", "--json", home=data_home)
    assert json.loads(listed.stdout)["adapters"][0]["id"] == report["adapter_id"]
    activated = run_cli("adapters", "activate", str(report["adapter_id"]), home=data_home)
    assert activated.returncode == 0 and "*" in activated.stdout
    missing = run_cli("adapters", "activate", "99", home=data_home)
    assert missing.returncode == 2 and "no adapter 99" in missing.stderr

    queries = tmp_path / "q.jsonl"
    lines = [json.loads(x) for x in REALISTIC_QUERIES.read_text("utf-8").splitlines()]
    mine = [q for q in lines if q["file"] != "patent_qa.csv"][:20]
    mine.append({"query": "不存在的問題", "gold": "這一題不在知識庫裡"})
    queries.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in mine), "utf-8")
    evaluated = run_cli("eval", "--queries", str(queries), "--json", home=data_home)
    assert evaluated.returncode == 0, evaluated.stderr
    result = json_lines(evaluated.stdout)[0]
    assert result["n"] == 20 and result["unknown_gold"] == [21]
    assert result["adapter"] == report["adapter_id"]
    assert set(result["retrievers"]) == {"lexical", "dense", "hybrid"}
    assert set(result["retrievers"]["hybrid"]) == {"hit@1", "hit@3", "hit@10", "mrr@10",
                                                   "ndcg@10"}
    base = run_cli("eval", "--queries", str(queries), "--adapter", "none", "--json",
                   home=data_home)
    assert json.loads(base.stdout)["adapter"] is None
    # The base's hybrid is its own, at the weight its held-out queries chose, not lexical.
    chosen = json.loads(listed.stdout)["adapters"][0]["metrics"]["base_fusion_weight"]
    assert json.loads(base.stdout)["dense_weight"] == chosen
    assert json.loads(base.stdout)["retrievers"]["lexical"] == result["retrievers"]["lexical"]


@pytest.fixture
def small_weak(minilm):
    """The small corpus with all-MiniLM-L6-v2, which reads under a third of TIPO's text."""
    with Desk("weak", encoder=minilm) as desk:
        desk.ws.set_setting("models.encoder", minilm.id)
        desk.import_files(SMALL)
        yield desk
        desk.encoder.detach_adapter()


def test_one_click_teaches_an_encoder_that_cannot_read_the_workspace(small_weak: Desk,
                                                                     tmp_path: Path):
    from dataclasses import replace

    small = small_weak
    options = small.default_tune_options()
    assert options.train.kind == "symmetric"  # MiniLM reads under a third of TIPO's text
    quick = replace(options, max_train=100, train=replace(options.train, epochs=1))
    small.tune(quick, llm_angles="off")
    [adapter] = AdapterStore(small.ws).list()
    assert len(adapter.config["vocab"]) > 300
    sample = [it.question for it in small.ws.get_items(small.ws.item_ids()[:50])]
    before = small.encoder.unknown_ratio(sample)
    small.activate_adapter(adapter.id)
    assert small.encoder.unknown_ratio(sample) < 0.02 < before
    assert small.ws.vector_encoder() == f"{small.encoder.id}+adapter:{adapter.id}"
    assert small.search("专利师", 3)  # Simplified input meets the taught characters
    assert not any("cannot read" in w for w in small.warnings())  # no stale warning
    assert small.default_tune_options().train.kind == "symmetric"  # the base still cannot
    queries = tmp_path / "own.jsonl"
    queries.write_text("\n".join(json.dumps({"query": q, "gold": q}, ensure_ascii=False)
                                 for q in sample[:20]), encoding="utf-8")
    base = small.evaluate(str(queries), "none")  # items read by the base encoder in memory
    assert base["adapter"] is None and base["retrievers"]["dense"]["hit@10"] > 0.5
    assert small.ws.vector_encoder() == f"{small.encoder.id}+adapter:{adapter.id}"
    small.activate_adapter(None)  # roll back: the base vectors come back
    assert small.ws.vector_encoder() == small.encoder.id
