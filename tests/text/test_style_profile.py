"""Style fingerprints: they separate authors and survive a JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.resources import sample_novel_path
from writer_app.text.style_profile import (
    FUNCTION_WORDS,
    TTR_WINDOW,
    StyleProfile,
    compare_profiles,
    cosine_distance,
    style_profile,
)


def test_sentence_lengths_and_dialogue_share():
    text = "“Come here,” she said. He came.\nThe room was dark and the fire was low."
    profile = style_profile(text)
    assert profile.sentences == 3
    assert profile.mean_sentence_length == pytest.approx((4 + 2 + 9) / 3)
    assert profile.median_sentence_length == 4
    quoted = len("“Come here,”") - 1  # non-space characters inside the quotes, marks included
    assert profile.dialogue_ratio == pytest.approx(quoted / sum(not c.isspace() for c in text))


def test_chinese_corner_quotes_and_unclosed_paragraph_quotes_count_as_dialogue():
    assert style_profile("「你好」").dialogue_ratio == 1.0
    assert style_profile("“Still talking\nNarration.").dialogue_ratio == pytest.approx(13 / 23)


def test_function_words_are_per_thousand_tokens_over_the_fixed_list():
    profile = style_profile("The cat and the dog.")
    assert set(profile.function_words) == set(FUNCTION_WORDS)
    assert 45 <= len(FUNCTION_WORDS) <= 60
    assert profile.function_words["the"] == pytest.approx(400.0)
    assert profile.function_words["and"] == pytest.approx(200.0)


def test_type_token_ratio_uses_equal_windows():
    repetitive = "word " * (TTR_WINDOW * 3)
    assert style_profile(repetitive).type_token_ratio == pytest.approx(1 / TTR_WINDOW)
    assert style_profile("every word here differs").type_token_ratio == 1.0


def test_profiles_tell_authors_apart_and_match_an_author_to_herself():
    austen = sample_novel_path().read_text(encoding="utf-8-sig")
    first, second = style_profile(austen[20_000:120_000]), style_profile(austen[150_000:250_000])
    plain = style_profile(" ".join(["The robot walks to the door. It opens the door. It goes out."] * 300))
    same_author = compare_profiles(first, second)
    other_style = compare_profiles(first, plain)
    assert same_author["distance"] < other_style["distance"]
    assert same_author["function_word_cosine_distance"] < 0.05
    assert 15 < first.mean_sentence_length < 35  # Austen writes long sentences


def test_comparison_is_json_serialisable_and_accepts_dicts():
    a = style_profile("She ran. He walked slowly home, thinking of her.")
    b = style_profile("“Run!” he shouted. “Now!”")
    result = compare_profiles(a.to_dict(), json.loads(json.dumps(b.to_dict())))
    assert json.loads(json.dumps(result)) == result
    assert result["dialogue_ratio"]["difference"] == pytest.approx(b.dialogue_ratio - a.dialogue_ratio)
    assert 0 <= result["distance"] <= 1
    assert compare_profiles(a, a)["distance"] == 0.0
    assert StyleProfile.from_dict(a.to_dict()) == a


def test_cosine_distance_edges():
    assert cosine_distance({}, {}) == 0.0
    assert cosine_distance({"a": 1.0}, {}) == 1.0
    assert cosine_distance({"a": 1.0}, {"a": 3.0}) == pytest.approx(0.0)
    assert cosine_distance({"a": 1.0}, {"b": 1.0}) == pytest.approx(1.0)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=300))
def test_any_text_gives_a_valid_profile(text):
    profile = style_profile(text)
    assert 0.0 <= profile.dialogue_ratio <= 1.0
    assert 0.0 <= profile.type_token_ratio <= 1.0
    assert 0 <= compare_profiles(profile, style_profile("A plain sentence."))["distance"] <= 1
    json.dumps(profile.to_dict())
