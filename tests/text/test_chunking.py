"""Token-aware chunking: pieces fit the budget, lose nothing, and cut where a reader would."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.text.chunking import (
    approx_token_count,
    is_hard_wrapped,
    paragraph_spans,
    split_into_chunks,
    tail_start,
    tail_within,
)


def words(text: str) -> int:
    return len(text.split())


def _non_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


PARAGRAPHS = [
    "It was a bright cold day in April.",
    "The clocks were striking thirteen, and nobody in the house seemed to mind.",
    "She put the kettle on. Then she sat down. Then she waited for the letter that would not come.",
    "Rain.",
]
MANUSCRIPT = "\n".join(PARAGRAPHS * 5)


def test_chunks_are_whole_paragraphs_within_the_budget():
    chunks = split_into_chunks(MANUSCRIPT, 40, words)
    assert len(chunks) > 1
    paragraph_texts = set(PARAGRAPHS)
    for chunk in chunks:
        assert chunk.tokens == words(chunk.text) <= 40
        assert MANUSCRIPT[chunk.start : chunk.end] == chunk.text
        assert all(line in paragraph_texts for line in chunk.text.split("\n"))
    assert _non_space("".join(c.text for c in chunks)) == _non_space(MANUSCRIPT)


def test_giant_paragraph_falls_back_to_sentences_then_words():
    paragraph = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = split_into_chunks(paragraph, 12, words)
    assert all(c.text.startswith("Sentence") and c.text.endswith(".") for c in chunks)
    one_sentence = " ".join(["word"] * 50)
    chunks = split_into_chunks(one_sentence, 7, words)
    assert [c.tokens for c in chunks] == [7] * 7 + [1]
    assert all(c.text.split() == ["word"] * c.tokens for c in chunks)


def test_chinese_without_spaces_is_split_at_sentence_ends_then_characters():
    text = "他走进房间，看见桌上的信。" * 4 + "天" * 50
    chunks = split_into_chunks(text, 20, len)
    assert all(len(c.text) <= 20 for c in chunks)
    assert chunks[0].text == "他走进房间，看见桌上的信。"
    assert "".join(c.text for c in chunks) == text


def test_overlap_repeats_the_previous_chunks_last_paragraphs():
    plain = split_into_chunks(MANUSCRIPT, 40, words)
    chunks = split_into_chunks(MANUSCRIPT, 40, words, overlap_tokens=20)
    assert len(chunks) > len(plain)
    overlapping = 0
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert previous.start < chunk.start and chunk.end > previous.end  # always moves on
        assert chunk.tokens <= 40
        if chunk.start < previous.end:
            overlapping += 1
            repeated = MANUSCRIPT[chunk.start : previous.end]
            assert repeated.split("\n")[0] in PARAGRAPHS and words(repeated) <= 20
    assert overlapping >= len(chunks) // 2


def test_hard_wrapped_text_uses_blank_lines_as_paragraph_breaks():
    wrapped = (
        "It is a truth universally\nacknowledged, that a single man\n\nHowever little known\nthe feelings\n"
    )
    assert is_hard_wrapped(wrapped)
    assert [wrapped[a:b] for a, b in paragraph_spans(wrapped)] == [
        "It is a truth universally\nacknowledged, that a single man",
        "However little known\nthe feelings",
    ]
    long_line = "A paragraph written in the editor, one line however long it grows, " * 3
    assert not is_hard_wrapped(f"{long_line}\n{long_line}\n\n{long_line}\n{long_line}")


def test_tail_starts_at_a_paragraph_when_one_fits():
    tail = tail_within(MANUSCRIPT, 30, words)
    assert MANUSCRIPT.endswith(tail)
    assert words(tail) <= 30
    assert tail.split("\n")[0] in PARAGRAPHS
    # and it is the longest such tail: one more paragraph would not fit
    start = tail_start(MANUSCRIPT, 30, words)
    previous_paragraph_start = MANUSCRIPT.rfind("\n", 0, start - 1) + 1
    assert words(MANUSCRIPT[previous_paragraph_start:]) > 30


def test_tail_falls_back_to_a_sentence_start():
    text = "First sentence is here. Second sentence is longer than that. Third one ends it."
    assert tail_within(text, 10, words) == "Second sentence is longer than that. Third one ends it."


def test_tail_of_everything_and_of_nothing():
    assert tail_within(MANUSCRIPT, 10_000, words) == MANUSCRIPT
    assert tail_within("", 10, words) == ""
    assert tail_within("   \n", 10, words) == ""


def test_invalid_budget_is_refused():
    with pytest.raises(ValueError):
        split_into_chunks("text", 0, words)


def test_approx_token_count_counts_cjk_per_character():
    assert approx_token_count("") == 0
    assert approx_token_count("天地玄黄") == 4
    assert 2 <= approx_token_count("hello world") <= 4


prose = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\n\n", " ", "。", ". ", "“Yes,” she said. ", "天"]),
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
    ),
    max_size=40,
).map("".join)
counters = st.sampled_from([words, len, approx_token_count])


@settings(max_examples=200, deadline=None)
@given(prose, st.integers(1, 30), st.integers(0, 10), counters)
def test_chunks_always_fit_cover_the_text_and_advance(text, max_tokens, overlap, count):
    chunks = split_into_chunks(text, max_tokens, count, overlap_tokens=overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip()
        assert chunk.tokens == count(chunk.text)
        assert chunk.tokens <= max_tokens
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert chunk.start > previous.start and chunk.end > previous.end
        if overlap == 0:
            assert chunk.start >= previous.end
    if overlap == 0:
        assert _non_space("".join(c.text for c in chunks)) == _non_space(text)


@settings(max_examples=200, deadline=None)
@given(prose, st.integers(1, 30), counters)
def test_tail_is_a_suffix_within_budget(text, max_tokens, count):
    tail = tail_within(text, max_tokens, count)
    assert text.endswith(tail)
    if tail:
        assert count(tail) <= max_tokens
