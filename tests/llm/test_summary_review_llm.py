"""Summaries in the source's language, names the summary invents, and the steps the editor drives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from writer_app.llm.generation import GenerationSettings
from writer_app.llm.summary import (
    PREFIX_ZH,
    names_missing_from_source,
    plan_chunks,
    summarise_piece,
    summary_language,
    summary_prompt,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCENE = ("Mara walked down to the harbour at dawn. The ferry was late again, and the boatman, old Tobias, "
         "said the fog would not lift before noon. She waited on the quay with her brother's letter.")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def han_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return len(_HAN.findall(text)) / len(letters) if letters else 0.0


def chinese_passage(chars: int = 240) -> str:
    """A short passage of 红楼梦 chapter 1 (甄士隐 and his daughter 英莲)."""
    text = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8")
    start = text.index("当日地陷东南")
    return text[start:start + chars]


def test_invented_names_are_found_and_sentence_openers_are_not():
    summary = ("Mara waits for the ferry. Emily, her sister, arrives with the Author's Bio. "
               "After that, Tobias rows them across. The fog lifts.")
    assert names_missing_from_source(summary, SCENE) == ["Emily", "Author", "Bio"]


def test_a_faithful_summary_has_no_missing_names():
    summary = "Mara waits at the harbour; Tobias says the fog will last. She keeps her brother's letter."
    assert names_missing_from_source(summary, SCENE) == []
    # An ordinary word opening a sentence is not a name ("Fog" is "fog" in the text).
    assert names_missing_from_source("Fog hides the harbour. MARA waits.", SCENE) == []
    assert names_missing_from_source("In Chapter II, Mara waits; Tobias's fog stays.", SCENE) == []


def test_latin_names_in_a_chinese_summary_are_caught():
    source = chinese_passage()
    assert names_missing_from_source("甄士隐抱着英莲。Emily 在门外。", source) == ["Emily"]
    assert names_missing_from_source("甄士隐抱着英莲。", source) == []


def test_the_language_comes_from_the_script_then_the_project():
    assert summary_language(chinese_passage()) == "zh"
    assert summary_language(SCENE, project_language="zh") == "en"  # the text's script decides
    assert summary_language("12 345 …", project_language="zh-Hans") == "zh"
    assert summary_language("12 345 …") == "en"
    assert summary_language("彼女は東京へ行った。それから家に帰った。") == "ja"


@pytest.mark.model
def test_a_chinese_source_gets_a_chinese_prompt_and_an_english_one_an_english_prompt(runtime):
    zh = summary_prompt(runtime, chinese_passage(), partial=False, language="zh").text
    assert "请用中文概括" in zh and zh.endswith(PREFIX_ZH) and "Summarise" not in zh
    en = summary_prompt(runtime, SCENE, partial=False, language="en").text
    assert "Summarise this passage" in en and "中文" not in en


@pytest.mark.model
def test_plan_chunks_cuts_a_long_text_into_pieces_that_fit(runtime):
    text = "\n\n".join([SCENE] * 30)
    chunks = plan_chunks(runtime, text, GenerationSettings(max_new_tokens=16), chunk_tokens=200)
    assert len(chunks) > 3
    assert all(runtime.count_tokens(chunk) <= 200 for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


@pytest.mark.model
def test_a_chinese_passage_is_summarised_in_chinese(fresh_runtime):
    """The real embedded model, greedy, a short answer: the summary is mostly Han script."""
    settings = GenerationSettings(temperature=0.0, max_new_tokens=40, seed=7)
    summary = summarise_piece(fresh_runtime, chinese_passage(), partial=False, language="zh", settings=settings)
    assert summary.startswith(PREFIX_ZH)
    assert han_share(summary) >= 0.8, summary
