"""Citations checked against what the answer says (core.citation_check), on demo items and
answers that Qwen2.5-0.5B really wrote for them (docs/benchmarks/llm_choice.json)."""

from __future__ import annotations

import csv

from core.citation_check import attribute
from tests.conftest import DEMO_DIR


def _demo_sources(*questions: str) -> list[str]:
    with open(DEMO_DIR / "patent_qa.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["題目"]: r["解答"] for r in csv.DictReader(handle)}
    return [f"{q}\n{rows[q]}" for q in questions]


EXCESS = ("若申請專利範圍超過10項，或說明書、申請專利範圍、摘要及圖式合計超過50頁，"
          "於繳納實體審查規費同時就要一起繳納超項費及超頁費嗎？")
EXAM = "何時申請實體審查？如何申請？規費為何？"
NO_EXAM = "沒有提實體審查的發明申請案，需要先繳納實體審查規費嗎？"
ANNUITY = "專利年費的繳納期限為何？"
LATE = "超過繳納專利年費的期間尚未繳費，法律效果為何？如何補救？"
ONLINE = "電子申請案和紙本申請案的規費繳納期限有不同嗎？"


def test_a_sentence_quoting_one_source_under_another_number_cites_the_one_it_quotes():
    sources = _demo_sources(EXCESS, EXAM, NO_EXAM)
    written = "根據[2]，在提出實體審查申請時，應一併繳納包含超項費和超頁費在內之實體審查費。"
    text, changed = attribute(written, sources)
    assert text == written.replace("[2]", "[1]") and changed == 1


def test_a_right_citation_a_short_answer_and_a_paraphrase_are_left_alone():
    sources = _demo_sources(ANNUITY, LATE, ONLINE)
    for written in ("根據[1]，第1年專利年費應於審定書(或處分書)送達後3個月內繳納。",
                    "可以。[2]",  # too short to judge
                    "原則上要在期限內繳費，否則可能要加倍繳納。[3]"):  # quotes no source
        assert attribute(written, sources) == (written, 0)


def test_an_answer_quoting_a_source_it_never_cites_gets_its_marker():
    sources = _demo_sources(ANNUITY, LATE, ONLINE)
    body = sources[0].split("\n", 1)[1].replace("\n", "")  # source 1's answer, copied
    text, changed = attribute(f"{body}\n\n[3] {ONLINE}", sources)
    assert changed == 1 and "[1]" in text.split("\n\n")[0]
    assert text.endswith(f"[3] {ONLINE}")  # the model's own citation stays as written


def test_english_answers_are_checked_by_words():
    sources = ["How long does an invention patent last?\nAn invention patent lasts 20 years "
               "from the filing date.",
               "Can I pay annuities in advance?\nYes. Annuities may be paid in advance for "
               "several years."]
    text, changed = attribute("An invention patent lasts 20 years from the filing date [2].",
                              sources)
    assert text == "An invention patent lasts 20 years from the filing date [1]." and changed == 1
