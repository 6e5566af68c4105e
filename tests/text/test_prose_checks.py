"""Prose checks: what the author sees underlined, and that it never breaks."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS_FIXTURES
from writer_app.resources import sample_novel_path
from writer_app.text.prose_checks import CATEGORIES, check_prose, lemma
from writer_app.text.suggestions import Suggestion


def _found(text: str, category: str, language: str = "en") -> list[str]:
    return [text[s.start : s.end] for s in check_prose(text, language) if s.category == category]


def _assert_well_formed(text: str, suggestions: list[Suggestion]) -> None:
    reach: dict[str, int] = {}
    for s in suggestions:
        assert 0 <= s.start < s.end <= len(text)
        assert s.category in CATEGORIES
        assert s.problem
        assert s.start >= reach.get(s.category, 0), f"overlap in {s.category}"
        reach[s.category] = s.end


def test_close_repetition_of_a_content_word_is_flagged_on_its_second_use():
    text = "The lantern swung in the wind. She lifted the lanterns higher and walked on."
    hits = [s for s in check_prose(text) if s.category == "repetition"]
    assert [text[s.start : s.end] for s in hits] == ["lanterns"]
    assert "lantern" in hits[0].problem


def test_repetition_ignores_stop_words_names_and_distant_uses():
    filler = "apple bread candle drum engine feather garden hammer island jacket kettle ladder mirror "
    filler += "needle orchard pillow quilt river saddle table umbrella violin wagon yarn zebra"
    text = (
        "Elizabeth looked at Darcy and Darcy bowed to Elizabeth. "
        "It was the first of the days that they had known. "
        f"The harbour lay quiet, {filler} then the harbour woke."
    )
    assert _found(text, "repetition") == []


def test_doubled_word_offers_the_single_word():
    text = "She opened the the door."
    [hit] = [s for s in check_prose(text) if s.category == "repetition"]
    assert text[hit.start : hit.end] == "the the"
    assert hit.replacement == "the"
    assert _found("He had had enough.", "repetition") == []


def test_lemma_groups_inflections():
    assert lemma("walked") == lemma("walking") == lemma("walks") == lemma("walk")
    assert lemma("stories") == lemma("story")


def test_very_can_be_dropped_in_one_click():
    text = "It was a very dark night."
    [hit] = [s for s in check_prose(text) if s.category == "adverb"]
    assert text[: hit.start] + hit.replacement + text[hit.end :] == "It was a dark night."


def test_adverbs_are_flagged_only_in_dense_paragraphs():
    dense = "His quickly, oddly and softly spoken words.\nShe walked to the car."
    assert _found(dense, "adverb") == ["quickly", "oddly", "softly"]
    sparse = (
        "The evening was unusually warm in the long wet grass towards the old stone house on the hill, "
        "where his mother and his two sisters waited for him by the fire with bread and tea. "
    ) * 3
    assert _found(sparse, "adverb") == []
    assert _found("Only the early friendly family came.", "adverb") == []
    # after a verb, one is enough (the manner rule, below), and it names the verb too
    assert _found("He ran quickly, breathed heavily and spoke softly to her.", "adverb") == [
        "ran quickly", "breathed heavily", "spoke softly"]


def test_filter_words_include_phrases():
    text = "She saw the ship. He began to run. They noticed nothing, and it seemed late."
    assert _found(text, "filter-word") == ["saw", "began to", "noticed", "seemed"]


def test_passive_voice_with_regular_and_irregular_participles():
    text = "The letter was written at dawn. The door was quickly opened. She was tired. He is kind."
    assert _found(text, "passive") == ["was written", "was quickly opened"]


def test_long_sentence_is_flagged_with_its_length():
    long_sentence = " ".join(["word"] * 45) + "."
    text = f"Short one. {long_sentence} Another short one."
    [hit] = [s for s in check_prose(text) if s.category == "long-sentence"]
    assert text[hit.start : hit.end] == long_sentence
    assert "45 words" in hit.problem
    assert _found(" ".join(["word"] * 40) + ".", "long-sentence") == []


def test_cliches_match_case_insensitively_across_line_breaks_and_curly_apostrophes():
    text = "At The End Of The\nDay, she let out a breath she didn’t know she was holding."
    found = _found(text, "cliche")
    assert found == ["At The End Of The\nDay", "let out a breath she didn’t know she was holding"]
    assert _found("the backend of the daytime", "cliche") == []


def test_chinese_long_sentences_are_measured_in_characters():
    long_sentence = "他" * 90 + "。"
    text = "今天天气很好。" + long_sentence + "我们走吧！"
    hits = [s for s in check_prose(text, "zh") if s.category == "long-sentence"]
    hits_text = [text[s.start : s.end] for s in hits]
    assert hits_text == [long_sentence]
    assert "90 characters" in hits[0].problem
    # measured in characters even when the project's language is left at English
    assert [
        text[s.start : s.end] for s in check_prose(text, "en") if s.category == "long-sentence"
    ] == hits_text


def test_chinese_doubled_particles_and_repeated_phrases():
    text = "这是我的的书。我们今天去看看吧，然后我们今天去看看海。"
    found = _found(text, "repetition", "zh")
    assert found == ["的的", "我们今天去看看"]
    assert _found("他慢慢地走。", "repetition", "zh") == []  # 慢慢 is ordinary reduplication


def test_other_languages_get_language_neutral_checks_only():
    text = "Er sah das das Haus. " + " ".join(["Wort"] * 45) + "."
    categories = {s.category for s in check_prose(text, "de")}
    assert categories == {"repetition", "long-sentence"}


def test_categories_filter():
    text = "She saw a very old, very very old house."
    assert {s.category for s in check_prose(text, categories=["filter-word"])} == {"filter-word"}


def test_a_real_chapter_is_checked_quickly_and_sensibly(tmp_path):
    corpus = sample_novel_path().read_text(encoding="utf-8-sig")
    words = corpus.split(" ")
    chapter = " ".join(words[2000:12000])
    started = time.perf_counter()
    suggestions = check_prose(chapter)
    elapsed = time.perf_counter() - started
    _assert_well_formed(chapter, suggestions)
    assert {s.category for s in suggestions} >= {"repetition", "adverb", "filter-word", "passive"}
    # A report, not a limit: the style panel re-runs these on every pause in typing.
    print(f"check_prose on 10,000 words: {elapsed * 1000:.1f} ms, {len(suggestions)} suggestions")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=400),
    st.sampled_from(["en", "zh", "fr", ""]),
)
def test_never_crashes_and_spans_are_valid_on_any_unicode(text, language):
    _assert_well_formed(text, check_prose(text, language))


words_with_noise = st.lists(
    st.sampled_from(
        [
            "very",
            "the",
            "the",
            "saw",
            "was",
            "written",
            "quickly",
            "softly",
            "dark",
            "stormy",
            "night",
            "\n",
            "。",
            "的",
            "的的",
            "cold as ice",
            "walked",
            "walking",
            ".",
            "It",
            "Mr.",
            "Darcy",
            "’s",
            "  ",
        ]
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(words_with_noise, st.sampled_from(["en", "zh"]))
def test_word_soup_spans_never_overlap_within_a_category(parts, language):
    text = " ".join(parts)
    _assert_well_formed(text, check_prose(text, language))


# -- passive voice: adjectival (stative) participles are not passives -------------------------------
PASSIVE_TABLE = [
    # (sentence, flagged as passive)
    ("She was gone before dawn.", []),
    ("He was tired after the walk.", []),
    ("The work was finished at last.", []),
    ("They were married in June.", []),
    ("I am much obliged to you.", []),
    ("She was very pleased with the bonnet.", []),
    ("He was gone by noon.", []),
    ("It was finished by the time she came.", []),
    ("The letter was taken by the maid.", ["was taken"]),
    ("The cake was eaten.", ["was eaten"]),
    ("The door was quickly opened.", ["was quickly opened"]),
    ("They were married by the vicar.", ["were married"]),
    ("The house was sold in May.", ["was sold"]),
    ("Her sister was not invited.", ["was not invited"]),
]


def test_passive_voice_table_separates_states_from_actions():
    for sentence, expected in PASSIVE_TABLE:
        assert _found(sentence, "passive") == expected, sentence


# -- manner adverbs after verbs -----------------------------------------------------------------------
MANNER_TABLE = [
    ("He walked slowly to the door.", ["walked slowly"]),
    ("“No,” she said quietly.", ["said quietly"]),
    ("She whispers softly to the child.", ["whispers softly"]),
    ("He smiled warmly at her.", ["smiled warmly"]),
    ("She only came early.", []),
    ("The family was likely there.", []),
    ("He arrived early.", []),
    ("They wanted only bread.", []),
    ("She nodded really slowly.", []),  # "really" is an intensifier (its own rule), not manner
    ("He walked suddenly away.", []),
    ("A lovely, friendly morning.", []),
    ("He walked, slowly, to the door.", []),  # set off by commas: the author chose the pause
]


def test_manner_adverbs_after_verbs_are_flagged_and_sentence_adverbs_are_not():
    for sentence, expected in MANNER_TABLE:
        manner = [sentence[s.start : s.end] for s in check_prose(sentence)
                  if s.category == "adverb" and "manner adverb" in s.problem]
        assert manner == expected, sentence


# -- Chinese --------------------------------------------------------------------------------------------
ZH_TABLE = [
    # (text, category, flagged)
    ("这是我的的书。", "repetition", ["的的"]),
    ("他吃了了饭。", "repetition", ["了了"]),
    ("这件事就不了了之了。", "repetition", []),
    ("他的的确确来过。", "repetition", []),
    ("大家和和气气地坐着。", "repetition", []),
    ("这是地地道道的北京菜。", "repetition", []),
    ("我的朋友的妈妈的车的颜色很好看。", "repetition", ["我的朋友的妈妈的车的颜色很好看"]),
    ("我的朋友的妈妈很好看。", "repetition", []),
    ("他被打了，又被骂了，最后被赶走了。", "passive", ["被", "被", "被"]),
    ("他被打了，又被骂了。", "passive", []),
    ("他盖着被子，被窝很暖，被褥是新的，他被吵醒了。", "passive", []),
    ("他" * 45 + "。", "long-sentence", ["他" * 45]),
    ("他" * 20 + "，" + "他" * 20 + "。", "long-sentence", []),
]


def test_chinese_rules_table():
    for text, category, expected in ZH_TABLE:
        assert _found(text, category, "zh") == expected, text


def test_chinese_rules_stay_quiet_on_a_classic():
    """红楼梦's first chapters: no unpunctuated runs, no 的 chains, no doubled particles."""
    text = (CORPUS_FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8-sig")
    found = check_prose(text, "zh")
    assert not [s for s in found if "without punctuation" in s.problem]
    assert not [s for s in found if "times in one clause" in s.problem]
    assert not [s for s in found if "particle is doubled" in s.problem]
    _assert_well_formed(text, found)
