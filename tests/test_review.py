"""The core behind the desktop's Ask, Improve retrieval and Models pages: citations and
channels of an answer, reviewing synthetic queries (rejected ones are not trained on, edited
ones are), the adapter history, model descriptions and LLM settings (real models)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.answer import Answer
from core.desk import Desk
from core.errors import ModelError, PatentDeskError
from core.models import bundled_llm
from core.models.info import models_in_use
from core.records import Item
from core.retrieve import ChannelScore, Hit
from core.review import adapter_rows, angles, query_rows, review_query
from core.store.tuning import QueryStore
from core.tune.dataset import build_queries
from core.tune.loop import TuneOptions
from core.tune.trainer import TrainConfig

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture
def small(encoder, small_tipo_workspace: str):
    with Desk(small_tipo_workspace, encoder=encoder) as desk:
        yield desk
        desk.encoder.detach_adapter()  # the session encoder is shared with other tests


def _item(item_id: int, question: str, source_row: int) -> Item:
    return Item(item_id, question, f"answer {item_id}", "fees", "faq.csv", source_row, "h",
                "t", "t")


def test_hits_say_which_channel_found_them():
    item = _item(1, "q", 2)
    both = Hit(item, 1.0, {"lexical": ChannelScore(1, 9.0), "dense": ChannelScore(3, 0.8)})
    lexical = Hit(item, 1.0, {"lexical": ChannelScore(2, 9.0), "dense": ChannelScore(40, 0.1)})
    dense = Hit(item, 1.0, {"dense": ChannelScore(1, 0.9)})
    far = Hit(item, 1.0, {"lexical": ChannelScore(30, 1.0), "dense": ChannelScore(12, 0.5)})
    assert [h.found_by() for h in (both, lexical, dense, far)] == [
        "both", "lexical", "dense", "dense"]


def test_an_answer_maps_its_citations_and_copies_with_sources():
    hits = [Hit(_item(7, "How long does a patent last?", 3), 1.0),
            Hit(_item(9, "What is the annual fee?", 5), 0.5)]
    answer = Answer("It lasts 20 years [1]; fees differ [2].", "generate", "m", [7, 9],
                    hits, hits)
    assert answer.source(1).item.id == 7 and answer.source(2).item.id == 9
    assert answer.source(3) is None and answer.source(0) is None
    assert answer.with_sources() == (
        "It lasts 20 years [1]; fees differ [2].\n\nSources:\n"
        "[1] How long does a patent last? (faq.csv, row 3)\n"
        "[2] What is the annual fee? (faq.csv, row 5)")
    nothing = Answer("No entry.", "extract", "m", [], [], [])
    assert nothing.with_sources() == "No entry."


def test_reviewing_queries(small: Desk):
    build_queries(small.ws, per_angle=1)
    rows = query_rows(small.ws)
    assert rows and all(r.item_question for r in rows)
    assert set(angles(small.ws)) == {r.query.angle for r in rows}
    typo = query_rows(small.ws, "typo")
    assert typo and {r.query.angle for r in typo} == {"typo"}

    first, second, third = (r.query for r in rows[:3])
    rejected = review_query(small.ws, first, "rejected")
    assert rejected.status == "rejected"
    assert review_query(small.ws, second, "accepted").status == "accepted"
    edited = review_query(small.ws, third, "edited", "  新型專利 技術報告 用途 ")
    assert (edited.text, edited.status) == ("新型專利 技術報告 用途", "edited")
    listed = {r.query.id: r.query for r in query_rows(small.ws)}
    assert listed[first.id].status == "rejected"  # still shown, so it can be taken back
    assert listed[third.id].text == "新型專利 技術報告 用途"
    assert first.id not in {q.id for q in QueryStore(small.ws).list()}
    assert review_query(small.ws, rejected, "accepted").status == "accepted"

    with pytest.raises(PatentDeskError, match="cannot be empty"):
        review_query(small.ws, second, "edited", "  ")
    with pytest.raises(PatentDeskError, match="must be one of"):
        review_query(small.ws, second, "deleted")
    item = small.ws.get_items([second.item_id])[0]
    QueryStore(small.ws).add([(item.id, "另一個 寫法", second.angle, "rule", "test", "train",
                               item.content_hash)])
    with pytest.raises(PatentDeskError, match="already has"):
        review_query(small.ws, second, "edited", "另一個 寫法")


def test_training_leaves_rejected_queries_out_and_uses_edited_ones(small: Desk):
    build_queries(small.ws, per_angle=1)
    store = QueryStore(small.ws)
    train = store.list(split="train")
    rejected, edited = train[0], train[1]
    review_query(small.ws, rejected, "rejected")
    review_query(small.ws, edited, "edited", "新型專利技術報告 申請 費用 多少")
    used = {q.text for q in store.list(split="train")}
    assert rejected.text not in used and "新型專利技術報告 申請 費用 多少" in used

    report = small.tune(TuneOptions(per_angle=1, train=TrainConfig(epochs=1)), "off")
    [row] = adapter_rows(small.ws)
    assert row.id == report.adapter_id and row.active == report.activated
    assert row.train_queries == len(train) - 1  # the edited one counts, the rejected not
    assert row.heldout == report.after and row.base == report.before
    assert row.mrr10 == report.after["hybrid"]["mrr@10"]
    assert store.list(("rejected",))[0].id == rejected.id  # a re-run keeps the review


def test_models_in_use_name_size_and_language_fit(small: Desk):
    encoder, llm = models_in_use(small)
    assert (encoder.kind, llm.kind) == ("encoder", "llm")
    assert encoder.bundled and llm.bundled
    assert llm.size_bytes == bundled_llm().expected_size  # assembled or not yet
    assert encoder.size_bytes > 10_000_000  # the folder's files, weights included
    assert llm.warning is None and "zh" in llm.languages  # Qwen2.5 writes Chinese
    assert encoder.warning is None and "zh" in encoder.languages  # multilingual-e5 reads it


def test_llm_settings_are_stored_and_used(small: Desk):
    assert small.llm_options() == {"n_ctx": 4096, "n_threads": 0}
    small.set_llm_options(2048, 1)
    assert small.llm_options() == {"n_ctx": 2048, "n_threads": 1}
    assert small.llm.n_ctx == 2048
    for bad in ((512, 1), (2048, -1)):
        with pytest.raises(PatentDeskError):
            small.set_llm_options(*bad)
    assert small.llm_options() == {"n_ctx": 2048, "n_threads": 1}


def test_a_truncated_gguf_is_refused_and_the_old_llm_stays(small: Desk, tmp_path: Path):
    truncated = tmp_path / "half.gguf"
    with open(bundled_llm().path, "rb") as source, open(truncated, "wb") as target:
        target.write(source.read(3_000_000))  # an intact header, most tensors missing
    with pytest.raises(ModelError, match="is truncated|cannot load LLM"):
        small.set_model("llm", str(truncated))
    assert small.ws.get_setting("models.llm") is None
    copy = tmp_path / "copy.gguf"
    shutil.copy(bundled_llm().path, copy)
    small.set_model("llm", str(copy))
    assert small.ws.get_setting("models.llm") == str(copy)
    assert small.llm.source.path == copy
