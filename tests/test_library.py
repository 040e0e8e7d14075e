"""The library: listing, filtering and hand-editing items, on the real demo workspace with the
real bundled encoder (edits must be findable by search straight away)."""

from __future__ import annotations

import pytest

from core import library
from core.desk import Desk
from core.errors import InputError

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture
def desk(demo_workspace: str, encoder):
    with Desk(demo_workspace, encoder=encoder) as d:
        yield d


def test_pages_cover_every_item_once_in_id_order(desk: Desk):
    ids = library.item_ids(desk.ws)
    assert len(ids) == 725 and ids == sorted(ids)
    pages = [library.list_items(desk.ws, offset, 200) for offset in range(0, 800, 200)]
    assert [len(p) for p in pages] == [200, 200, 200, 125]
    assert [it.id for page in pages for it in page] == ids


def test_categories_count_items_and_filter_by_category(desk: Desk):
    counts = dict(library.categories(desk.ws))
    assert sum(counts.values()) == 725
    assert counts[""] == 10  # the patent-attorney file has no category column
    name, n = max(((c, k) for c, k in counts.items() if c), key=lambda ck: ck[1])
    items = library.list_items(desk.ws, 0, 1000, category=name)
    assert len(items) == n and {it.category for it in items} == {name}
    assert len(library.item_ids(desk.ws, category="")) == 10


def test_text_filter_keeps_only_items_containing_every_part(desk: Desk):
    ids = library.item_ids(desk.ws, text_filter="新型專利技術報告")
    items = library.get_items(desk.ws, ids)
    assert 0 < len(items) < 725
    # What the user sees in the row (question, answer, category) holds the typed text.
    assert all("新型專利技術報告" in f"{it.question}|{it.answer}|{it.category}" for it in items)
    # Simplified input finds the Traditional items; a half-typed word is a prefix.
    assert library.item_ids(desk.ws, text_filter="新型专利技术报告") == ids
    assert library.item_ids(desk.ws, text_filter="   ") == library.item_ids(desk.ws)
    assert library.item_ids(desk.ws, text_filter="沒有這種東西的字串xyzzy") == []
    one_char = library.get_items(desk.ws, library.item_ids(desk.ws, text_filter="師"))
    assert one_char and all("師" in f"{it.question}{it.answer}" for it in one_char)


def test_text_and_category_filters_combine(desk: Desk):
    both = library.list_items(desk.ws, 0, 1000, category="", text_filter="專利師")
    assert both and all(it.category == "" for it in both)


def test_an_added_item_is_found_by_lexical_and_dense_search(desk: Desk):
    item = desk.add_item("  快遞寄送申請書可以嗎？ ", "可以，以郵戳日為準。", "送件方式")
    assert (item.question, item.category, item.source_file) == (
        "快遞寄送申請書可以嗎？", "送件方式", "")
    assert desk.ws.count_items() == 726
    assert desk.search("快遞寄送申請書", k=1, mode="lexical")[0].item.id == item.id
    assert desk.search("快遞寄送申請書可以嗎？", k=1, mode="dense")[0].item.id == item.id
    assert ("送件方式", 1) in library.categories(desk.ws)


def test_an_edited_item_is_reindexed_and_keeps_its_origin(desk: Desk):
    old = library.list_items(desk.ws, 0, 1)[0]
    new = desk.update_item(old.id, "本局的郵寄地址與電話？", old.answer + "\n（已更新）", "聯絡")
    assert new.id == old.id and new.source_file == old.source_file
    assert new.source_row == old.source_row and new.imported_at == old.imported_at
    assert new.answer.endswith("（已更新）") and new.category == "聯絡"
    assert desk.search("郵寄地址與電話", k=1, mode="lexical")[0].item.id == old.id
    assert desk.search("本局的郵寄地址與電話？", k=1, mode="dense")[0].item.id == old.id
    assert library.item_ids(desk.ws, text_filter="本局地址？") == library.item_ids(
        desk.ws, text_filter="本局地址？")  # stable
    assert old.id not in library.item_ids(desk.ws, text_filter="辛亥路 本局地址？ 服務電話 舊")


def test_edits_that_would_break_the_library_are_refused(desk: Desk):
    first, second = library.list_items(desk.ws, 0, 2)
    with pytest.raises(InputError, match=f"item #{first.id} already has this question"):
        desk.update_item(second.id, first.question, "x")
    with pytest.raises(InputError, match="question is empty"):
        desk.add_item("   ", "answer")
    with pytest.raises(InputError, match="answer is empty"):
        desk.update_item(first.id, first.question, " \n ")
    with pytest.raises(InputError, match="no longer exists"):
        desk.update_item(999_999, "q", "a")
    assert library.get_items(desk.ws, [first.id, second.id]) == [first, second]


def test_deleted_items_leave_list_index_and_search(desk: Desk):
    hit = desk.search("新型專利技術報告有什麼用", k=1, mode="lexical")[0].item
    assert desk.delete_items([hit.id, hit.id, 999_999]) == 1
    assert desk.ws.count_items() == 724
    assert hit.id not in library.item_ids(desk.ws)
    assert hit.id not in [h.item.id for h in desk.search(hit.question, k=20)]
    assert desk.delete_items([]) == 0
