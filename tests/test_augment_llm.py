"""LLM query angles: lenient parsing of messy model replies, the filter's drop reasons, the
role prompts, and generation with the real default model (Qwen2.5-Coder-0.5B; the tests check
bookkeeping, language and script, never quality or speed)."""

from __future__ import annotations

import csv
import re
import threading

import opencc
import pytest

from core.augment.filters import (
    REASONS,
    bigram_jaccard,
    filter_queries,
    is_degenerate,
    parse_llm_output,
)
from core.augment.llm_angles import (
    ROLES,
    LLMAngles,
    is_echo,
    load_prompt,
    render_prompt,
    unit_bigrams,
)
from core.errors import Cancelled
from core.records import Item
from core.text import cjk_ratio, language_of, traditional_script
from tests.conftest import DEMO_DIR

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

EN_QUESTION = "How long does an invention patent last?"
ZH_QUESTION = "發明專利權的期限是多久？"


def _item(item_id: int, question: str, answer: str) -> Item:
    return Item(id=item_id, question=question, answer=answer, category="", source_file="",
                source_row=0, content_hash="", imported_at="", updated_at="")


# -- parsing -------------------------------------------------------------------------------
@pytest.mark.parametrize("reply,expected", [
    # plain lines, one per line, with blank lines in between
    ("patent term length\n\nhow many years does a patent last\n",
     ["patent term length", "how many years does a patent last"]),
    # JSON array, bare and inside a fence, objects, and an array cut off by the token limit
    ('["patent duration", "how many years patent", "patent expiry"]',
     ["patent duration", "how many years patent", "patent expiry"]),
    ('Here are the queries:\n```json\n[\n  "專利 年限",\n  "發明專利 幾年"\n]\n```\nHope it helps',
     ["專利 年限", "發明專利 幾年"]),
    ('{"queries": [{"query": "patent term"}, {"query": "patent expiry date"}]}',
     ["patent term", "patent expiry date"]),
    ('```json\n["how long is a patent valid",\n "patent 20 years",\n "patent ex',
     ["how long is a patent valid", "patent 20 years"]),
    ('[{"query": "patent term"}, {"query": "patent expiry date"}, {"query": "pat',
     ["patent term", "patent expiry date"]),
    # numbered in several styles
    ("1. patent term\n2) patent expiry\n3: patent duration",
     ["patent term", "patent expiry", "patent duration"]),
    ("１．專利權期限多久？\n２、發明專利可以保護幾年？\n(3) 專利 年限\n（四）專利到期",
     ["專利權期限多久？", "發明專利可以保護幾年？", "專利 年限", "專利到期"]),
    ("一、專利期限\n二、發明專利幾年\n十一．專利到期日",
     ["專利期限", "發明專利幾年", "專利到期日"]),
    ("① 專利期限\n[2] patent term\na) patent expiry", ["專利期限", "patent term", "patent expiry"]),
    # bullets and markdown emphasis
    ("- patent term\n* **invention patent years**\n• patent 20 years\n・專利 年限",
     ["patent term", "invention patent years", "patent 20 years", "專利 年限"]),
    # labels and the model answering instead of asking
    ("Query 1: how long patent\nQ2: patent validity period\nAnswer: 20 years from filing",
     ["how long patent", "patent validity period"]),
    ("問題一：專利權多久到期\n答：自申請日起算二十年\n角色：關鍵字使用者", ["專利權多久到期"]),
    ("Role: a web-search user\npatent expiry taiwan", ["patent expiry taiwan"]),
    # commentary lines
    ("Sure! Here are 3 search queries a keyword user would type:\npatent length\n"
     "I hope these help.", ["patent length"]),
    ("以下是三個查詢：\n專利期限\n以下為關鍵字查詢\n這些問題包含了拼寫錯誤\n專利 幾年",
     ["專利期限", "專利 幾年"]),
    ("Keyword queries:\npatent term\nNote: all are short", ["patent term"]),
    # surrounding quotes and trailing explanations
    ('"When does my patent expire?"\n「專利 年限」\n“patent lifetime”\n\'patent validity\'',
     ["When does my patent expire?", "專利 年限", "patent lifetime", "patent validity"]),
    ("patent term length - this asks about the duration\n"
     '"invention patent years" — keyword version',
     ["patent term length", "invention patent years"]),
    ("發明專利可以保護幾年？（說明：詢問保護期間）\n專利到期——這是關鍵字查詢\n"
     "How long does a patent last? (This is a fact-seeking query)",
     ["發明專利可以保護幾年？", "專利到期", "How long does a patent last?"]),
])
def test_messy_replies_are_parsed_into_queries(reply: str, expected: list[str]):
    assert parse_llm_output(reply) == expected


@pytest.mark.parametrize("reply,expected", [
    ("3.5 percent annuity discount?\n2024 patent fee", ["3.5 percent annuity discount?",
                                                       "2024 patent fee"]),
    ("說明書要怎麼寫\n注意事項有哪些", ["說明書要怎麼寫", "注意事項有哪些"]),
    ("專利法第[22]條的新穎性", ["專利法第[22]條的新穎性"]),
    ("patent fee - how to pay online", ["patent fee - how to pay online"]),
    ('"Prior art" meaning in patents', ['"Prior art" meaning in patents']),
])
def test_queries_that_look_like_decoration_are_left_alone(reply: str, expected: list[str]):
    assert parse_llm_output(reply) == expected


@pytest.mark.parametrize("reply", ["", "   \n\n", "```\n```", "[]", "Here are 3 queries:\n---"])
def test_replies_without_queries_give_nothing(reply: str):
    assert parse_llm_output(reply) == []


# -- filtering -----------------------------------------------------------------------------
@pytest.mark.parametrize("candidate,original,language,reason", [
    ("", EN_QUESTION, "en", "empty"),
    ("？！…", ZH_QUESTION, "zh", "empty"),
    ("how long does an invention patent last", EN_QUESTION, "en", "copy"),
    ("  HOW LONG does an invention-patent last?! ", EN_QUESTION, "en", "copy"),
    ("發明專利權的期限是多久?", ZH_QUESTION, "zh", "copy"),
    ("發明專利權的期限是多久呢", ZH_QUESTION, "zh", "near_duplicate"),
    ("How long does an invention patent last for?", EN_QUESTION, "en", "near_duplicate"),
    ("how long does a patent last", ZH_QUESTION, "zh", "wrong_script"),
    ("專利可以用多久", EN_QUESTION, "en", "wrong_script"),
    ("專利期限 patent", EN_QUESTION, "en", "wrong_script"),
    ("期", ZH_QUESTION, "zh", "too_short"),
    ("20", EN_QUESTION, "en", "too_short"),
    ("專利" * 40, ZH_QUESTION, "zh", "too_long"),
    ("A patent " + "lasts for twenty years and can be renewed " * 4, EN_QUESTION, "en",
     "too_long"),
    ("專利期限專利期限專利期限", ZH_QUESTION, "zh", "degenerate"),
    ("patent term?????", EN_QUESTION, "en", "degenerate"),
    ("專利期限啊啊啊啊啊", ZH_QUESTION, "zh", "degenerate"),
    ("patent law law law law law", EN_QUESTION, "en", "degenerate"),
    ("期限期限期期限限期限", ZH_QUESTION, "zh", "degenerate"),
])
def test_each_drop_reason(candidate: str, original: str, language: str, reason: str):
    report = filter_queries([candidate], original, language)
    assert report.kept == []
    assert report.dropped == {reason: 1}
    assert reason in REASONS


@pytest.mark.parametrize("candidate,original,language", [
    ("patent term length", EN_QUESTION, "en"),
    ("what is the term of protection for an invention patent in taiwan and when does it end",
     EN_QUESTION, "en"),
    ("發名專利的期線是多久", ZH_QUESTION, "zh"),  # two homophone typos: similar, not a copy
    ("專利 年限", ZH_QUESTION, "zh"),
    ("NT$100000 patent fee", EN_QUESTION, "en"),
    ("新型專利 vs 發明專利 期限", ZH_QUESTION, "zh"),
])
def test_good_queries_are_kept(candidate: str, original: str, language: str):
    report = filter_queries([candidate], original, language)
    assert report.kept == [candidate] and not report.dropped


def test_near_duplicates_of_existing_and_of_kept_queries_are_dropped():
    existing = ["patent term length"]
    candidates = ["Patent term length.", "invention patent lifetime", "invention patent lifetime!",
                  "how long until a patent expires"]
    report = filter_queries(candidates, EN_QUESTION, "en", existing=existing)
    assert report.kept == ["invention patent lifetime", "how long until a patent expires"]
    assert report.dropped == {"near_duplicate": 2}
    assert len(report.kept) + sum(report.dropped.values()) == len(candidates)


def test_every_candidate_is_counted_once_and_kept_text_is_cleaned():
    candidates = ["", "專利  年限 ", "期", "how long", "專利 年限", "發明專利權的期限是多久？",
                  "專利權期間怎麼算"]
    report = filter_queries(candidates, ZH_QUESTION, "zh")
    assert report.kept == ["專利 年限", "專利權期間怎麼算"]
    assert report.dropped == {"empty": 1, "too_short": 1, "wrong_script": 1,
                              "near_duplicate": 1, "copy": 1}


def test_the_length_limit_follows_max_ratio():
    candidate = "發明專利權的保護期間是從哪一天開始計算，又到哪一天結束呢"
    assert filter_queries([candidate], ZH_QUESTION, "zh").kept == [candidate]
    tight = filter_queries([candidate], ZH_QUESTION, "zh", max_ratio=0.5)
    assert tight.dropped == {"too_long": 1}


def test_similarity_and_degeneracy_helpers():
    assert bigram_jaccard("Patent term.", "patent term") == 1.0
    assert bigram_jaccard("專利期限", "商標註冊") == 0.0
    long_english = ("can i still get an invention patent in taiwan if i already showed my "
                    "product at a trade fair last year")
    assert not is_degenerate(long_english)
    assert is_degenerate("the patent the patent the patent")


# -- prompts -------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_prompt_with_all_placeholders(lang: str, role: str):
    template = load_prompt(lang, role)
    for placeholder in ("{question}", "{answer}", "{k}"):
        assert template.count(placeholder) == 1
    if lang == "zh-TW":
        assert opencc.OpenCC("s2tw").convert(template) == template  # Traditional throughout
        assert "繁體中文" in template and cjk_ratio(template) > 0.8
    else:
        assert cjk_ratio(template) == 0


def test_rendering_cuts_long_answers_and_never_expands_the_items_own_braces():
    template = load_prompt("en", "fact")
    text = render_prompt(template, "What is {answer} in form {k}?", "x" * 1000, 4)
    assert "What is {answer} in form {k}?" in text
    assert "x" * 400 + "…" in text and "x" * 401 not in text
    assert "exactly 4 " in text and not re.search(r"\{(question|answer|k)\}", text.replace(
        "What is {answer} in form {k}?", ""))


def test_the_prompt_language_follows_the_question(llm):
    angles = LLMAngles(llm)
    zh = angles.messages(_item(1, ZH_QUESTION, "自申請日起算二十年。"), "keyword")
    en = angles.messages(_item(2, EN_QUESTION, "Twenty years."), "keyword")
    assert [m["role"] for m in zh] == ["system", "user"]
    assert "查詢" in zh[0]["content"] and ZH_QUESTION in zh[1]["content"]
    assert "query-generation assistant" in en[0]["content"] and EN_QUESTION in en[1]["content"]
    with pytest.raises(ValueError, match="unknown query angle"):
        angles.generate(_item(3, EN_QUESTION, "Twenty years."), roles=("poet",))


@pytest.mark.parametrize("question,role,candidate,echo", [
    (ZH_QUESTION, "concept", "請把原問題改寫成一般民眾會問的口語問題，不要照抄原問題。", True),
    (ZH_QUESTION, "keyword", "你是專利問答案，請使用繁體中文。", True),
    (ZH_QUESTION, "fact", "專利 期限", False),
    (ZH_QUESTION, "concept", "發明專利可以保護幾年", False),
    (EN_QUESTION, "keyword", "Write one query per line, in English.", True),
    (EN_QUESTION, "keyword", "how long is an invention patent valid", False),
    (EN_QUESTION, "web_search", "patent term requirements taiwan", False),
])
def test_echoes_of_the_instructions_are_recognised(llm, question, role, candidate, echo):
    angles = LLMAngles(llm)
    instructions = angles.instructions(_item(1, question, "x"), role)
    assert question not in instructions and "{" not in instructions
    assert is_echo(candidate, unit_bigrams(instructions)) is echo


# -- generation with the real bundled model --------------------------------------------------
def _check_stats(queries, stats, roles, item: Item) -> None:
    assert list(stats) == list(roles)
    for role, s in stats.items():
        assert s.kept + sum(s.dropped.values()) == s.generated
        assert set(s.dropped) <= {*REASONS, "echo", "injected"}
        assert s.tokens >= 0 and s.seconds > 0
        assert s.kept == sum(1 for q in queries if q.angle == role)
    assert all(q.angle in roles and q.item_id == item.id for q in queries)
    assert len({q.text for q in queries}) == len(queries)


def test_english_item_gets_queries_from_the_roles(llm):
    item = _item(41, EN_QUESTION, "An invention patent lasts 20 years from the filing date.")
    angles = LLMAngles(llm, k=2, max_tokens=64)  # short replies keep the test quick
    assert angles.tokens_per_second == 0.0
    queries, stats = angles.generate(item)
    _check_stats(queries, stats, ROLES, item)
    assert queries, stats
    for q in queries:
        assert language_of(q.text) == "en"
        assert filter_queries([q.text], item.question, "en").dropped.keys() <= {"near_duplicate"}
    assert sum(s.tokens for s in stats.values()) > 0 and angles.tokens_per_second > 0


def test_chinese_tipo_item_keeps_only_chinese_queries(llm):
    with open(DEMO_DIR / "patent_attorney_act_qa.csv", encoding="utf-8-sig", newline="") as f:
        row = next(csv.DictReader(f))
    item = _item(int(row["編號"]), row["題目"], row["解答"])
    assert language_of(item.question) == "zh"
    angles = LLMAngles(llm, k=2, max_tokens=48)
    queries, stats = angles.generate(item, existing=["專利師法 施行日期"])
    _check_stats(queries, stats, ROLES, item)
    assert queries  # the default LLM writes Chinese: the five angles keep some
    for q in queries:
        assert cjk_ratio(q.text) >= 0.3 and traditional_script(q.text)(q.text) == q.text
        assert q.text != item.question and q.text != "專利師法 施行日期"


def test_a_cancelled_job_stops_before_the_next_call(llm):
    cancel = threading.Event()
    cancel.set()
    angles = LLMAngles(llm)
    with pytest.raises(Cancelled):
        angles.generate(_item(1, EN_QUESTION, "Twenty years."), cancel=cancel)
    assert angles.total_tokens == 0


def test_several_items_are_written_in_one_batch_like_one_at_a_time(llm):
    """generate_many decodes every role of every item together (core.models.batched) and
    files each reply under its own item and role, filtered as generate() filters."""
    items = [_item(41, EN_QUESTION, "An invention patent lasts 20 years from the filing date."),
             _item(42, "How do I pay the annual patent fee?",
                   "Annual fees can be paid at the office, by post or online.")]
    angles = LLMAngles(llm, k=2, max_tokens=48)
    results = angles.generate_many([(items[0], ROLES, []), (items[1], ("keyword", "fact"),
                                                            ["annual fee payment"])])
    assert len(results) == 2
    for item, roles, (queries, stats) in zip(items, (ROLES, ("keyword", "fact")), results,
                                              strict=True):
        _check_stats(queries, stats, roles, item)
    assert all(q.text != "annual fee payment" for q in results[1][0])
    assert any(queries for queries, _ in results)
    assert angles.total_tokens > 0 and angles.tokens_per_second > 0


def test_each_conversation_of_a_batch_gets_its_own_reply(llm):
    words = ["apple", "river", "violin"]
    replies = llm.chat_many([[{"role": "user", "content": f"Write the word {w} and nothing "
                                                          "else."}] for w in words],
                            max_tokens=8, temperature=0.0)
    assert [w in text.lower() for w, (text, _) in zip(words, replies, strict=True)] == [
        True, True, True], replies
    assert all(tokens > 0 for _, tokens in replies)


def test_a_cancelled_batch_stops_and_the_model_answers_the_next_request(llm):
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    angles = LLMAngles(llm, max_tokens=400)
    items = [(_item(n, EN_QUESTION, "Twenty years."), ROLES, []) for n in range(4)]
    with pytest.raises(Cancelled):
        angles.generate_many(items, cancel=cancel)
    timer.join()
    assert angles.total_tokens == 0  # nothing of the cancelled batch is counted or kept
    assert llm.chat([{"role": "user", "content": "Say OK."}], max_tokens=4)
