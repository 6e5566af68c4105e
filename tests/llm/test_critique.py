"""The style critique in two stages: its records, its merge with the rules, and the model's lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.llm.critique import (
    CritiqueProgress,
    critique_items,
    decode_record,
    duplicates_a_rule,
    encode_record,
    parse_critique,
    suggest_style,
)
from writer_app.llm.generation import GenerationSettings
from writer_app.text.prose_checks import check_prose
from writer_app.text.suggestions import Suggestion

TEXT = "She was very very tired. It was a dark and stormy night, and she walked slowly to the door."


def test_records_carry_items_and_progress_across_the_stream_intact():
    item = Suggestion(3, 9, "model", "a “stronger” verb — 更好", "trudged", "model")
    assert decode_record(encode_record(item)) == item
    assert decode_record(encode_record(CritiqueProgress(2, 5))) == CritiqueProgress(2, 5)
    assert encode_record(item).endswith("\n")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers()))
def test_decode_record_never_raises_on_garbage(garbage):
    result = decode_record(garbage)
    assert result is None or isinstance(result, (Suggestion, CritiqueProgress))


def test_decode_record_refuses_empty_or_backwards_spans():
    assert decode_record('{"suggestion": {"start": 5, "end": 5, "category": "model", "problem": "x"}}') is None
    assert decode_record('{"suggestion": {"start": -1, "end": 5, "category": "model", "problem": "x"}}') is None


def test_a_model_item_on_words_a_rule_flagged_is_a_duplicate():
    rules = [(s.start, s.end, s.category) for s in check_prose(TEXT)]
    slowly = TEXT.index("walked slowly")
    assert duplicates_a_rule(Suggestion(slowly, slowly + 13, "model", "x", "trudged", "model"), rules)
    door = TEXT.index("the door")
    assert not duplicates_a_rule(Suggestion(door, door + 8, "model", "x", "the gate", "model"), rules)
    # a long-sentence finding covers a whole sentence: a phrase inside it is still news
    long_text = " ".join("q" + chr(97 + i // 26) + chr(97 + i % 26) for i in range(45)) + " the door."
    long_rules = [(s.start, s.end, s.category) for s in check_prose(long_text)]
    assert {c for *_, c in long_rules} == {"long-sentence"}
    at = long_text.index("the door")
    assert not duplicates_a_rule(Suggestion(at, at + 8, "model", "x", "the gate", "model"), long_rules)


def test_copied_sentences_and_copied_replacements_are_not_suggestions():
    story = "She was gone. He walked slowly to the door. It was a dark and stormy night."
    output = (
        '"She was gone. He walked slowly to the door. It was a dark and stormy night."\n'  # the text copied
        '"She was gone" -> "He walked slowly" : changed it\n'  # a replacement copied from the text
        '"to" -> "a" : shorter\n'  # too short to locate
        '"stormy night" -> "Stormy Night" : same words\n'
        '"dark and stormy night" -> "gale" : a cliché\n'
    )
    found = parse_critique(output, story)
    assert [(story[s.start:s.end], s.replacement) for s in found] == [("dark and stormy night", "gale")]


def test_line_by_line_parsing_finds_a_repeated_phrase_again():
    story = "the door, the door"
    used: set[tuple[int, int]] = set()
    first = parse_critique('"the door" -> "the gate" : plain', story, used=used)
    second = parse_critique('"the door" -> "the gate" : plain', story, used=used)
    assert (first[0].start, second[0].start) == (0, 10)


@pytest.mark.model
def test_the_embedded_models_critique_arrives_item_by_item_on_the_authors_words(fresh_runtime):
    story = ("She was very very tired. It was a dark and stormy night, and she walked slowly to the door. "
             "At the end of the day, the sea was as cold as ice.")
    greedy = GenerationSettings(temperature=0.0, max_new_tokens=60)
    items = list(critique_items(fresh_runtime, story, greedy))
    assert items[0] == CritiqueProgress(1, 1)
    suggestions = [item for item in items if isinstance(item, Suggestion)]
    for s in suggestions:
        assert s.source == "model" and 0 <= s.start < s.end <= len(story)
    merged = suggest_style(fresh_runtime, story, "en", greedy)
    rules = [(s.start, s.end, s.category) for s in merged if s.source == "rule"]
    assert rules, "the rules flag this passage"
    assert not [s for s in merged if s.source == "model" and duplicates_a_rule(s, rules)]


def test_a_quoted_phrase_is_found_on_whole_words_only():
    story = "She was gone before dawn. Then he was gone too."
    [found] = parse_critique('"he was gone" -> "he left" : plainer', story)
    assert story[found.start:found.end] == "he was gone" and found.start == story.index("Then he") + 5
    assert parse_critique('"was go" -> "went" : x', story) == []
    chinese = "他走了。她也走了。"
    [zh] = parse_critique('"她也走了" -> "她跟着走了" : 更具体', chinese)
    assert chinese[zh.start:zh.end] == "她也走了"
