"""Stylometry on real text: Austen (English, per word) and 红楼梦 (Chinese, per character)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from writer_app.text.stylometry import (
    compare,
    detect_language,
    dialogue_share,
    distances,
    histogram,
    jensen_shannon_distance,
    measure,
    percent_closer,
    sentence_lengths,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _austen() -> tuple[list[str], str]:
    """(chapters, the Project Gutenberg licence at the end): the same file, two very different voices."""
    text = (FIXTURES / "pride-and-prejudice.txt").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    body, licence = text.split("*** END OF", 1)
    chapters = [c.strip() for c in re.split(r"\nChapter \d+\n", body)[1:]]
    return chapters, licence


def _hongloumeng() -> list[str]:
    text = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8")
    return [c.strip() for c in re.split(r"\n第[一二三四五六七八九十]+回[^\n]*\n", text)[1:]]


def test_sentence_lengths_dialogue_and_histogram_on_known_text():
    text = "“I am not,” said she. He laughed.\n\nThe evening passed quietly for them all."
    assert sentence_lengths(text, "en") == [5, 2, 7]
    share = dialogue_share(text)
    assert share == pytest.approx(len("“Iamnot,”") / len(re.sub(r"\s", "", text)))
    assert histogram([3, 5, 6, 100], (5, 10)) == [0.5, 0.25, 0.25]
    assert jensen_shannon_distance([1, 0], [1, 0]) == 0.0
    assert jensen_shannon_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert percent_closer(0.4, 0.3) == pytest.approx(25.0)
    assert percent_closer(0.0, 0.1) is None


def test_austen_is_closer_to_austen_than_to_the_licence_text():
    chapters, licence = _austen()
    author, more_austen = "\n\n".join(chapters[:5]), "\n\n".join(chapters[5:10])
    profile = measure(author)
    assert profile.language == "en"
    assert 15 < profile.mean_sentence_length < 40  # Austen's long periods
    assert 0.2 < profile.dialogue_share < 0.7
    assert profile.function_words["the"] > profile.function_words["upon"] > 0
    assert 0.3 < profile.type_token_ratio < 0.8
    same = distances(profile, measure(more_austen))
    other = distances(profile, measure(licence))
    for feature in ("sentence_length", "dialogue_share", "function_words", "overall"):
        assert same[feature] < other[feature], feature
    report = compare(author, base_text=licence, adapter_text=more_austen)
    overall = report["distance"]["overall"]
    assert overall["adapter"] < overall["base"]
    assert overall["percent_closer"] > 30


def test_chinese_is_measured_per_character():
    chapters = _hongloumeng()
    assert len(chapters) == 10
    author = "\n\n".join(chapters[:3])
    assert detect_language(author) == "zh"
    profile = measure(author)
    assert profile.language == "zh"
    assert profile.tokens > 10_000  # characters, not the few "words" whitespace would find
    assert 8 < profile.mean_sentence_length < 60  # characters per sentence
    assert profile.dialogue_share > 0.05
    assert profile.function_words["的"] > 0 and profile.function_words["了"] > 0
    assert "the" not in profile.function_words
    assert 0.2 < profile.type_token_ratio < 0.9
    later = measure("\n\n".join(chapters[5:8]))
    english = measure(_austen()[0][0], "zh")  # English measured per character: nothing shared
    assert distances(profile, later)["function_words"] < 0.3 < distances(profile, english)["function_words"]
    assert distances(profile, later)["overall"] < distances(profile, english)["overall"]
