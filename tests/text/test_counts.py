"""Word and character counts: counted in pieces (so a long chapter does not hold the interpreter
lock for a quarter of a second), with exactly the results of counting the whole text at once."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.text import counts
from writer_app.text.counts import count_characters, count_words

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# The definition the counts had before they were counted in pieces: a word is a run of
# non-CJK word characters with inner apostrophes or hyphens; each CJK character is a word.
_CJK = counts._CJK_CHAR
REFERENCE_WORD = re.compile(rf"(?:(?![{_CJK}])[\w])+(?:['’\-](?:(?![{_CJK}])[\w])+)*")
REFERENCE_CJK = re.compile(f"[{_CJK}]")
TEXT = st.text(alphabet=st.sampled_from(list("ab é\u0301-'’ \n\t\u3000漢字かなカナ한국1２x\u200b\xa0.") + ["\U00020000"]),
               max_size=200)


def reference_words(text: str) -> int:
    return len(REFERENCE_CJK.findall(text)) + len(REFERENCE_WORD.findall(text))


def reference_characters(text: str, with_spaces: bool = False) -> int:
    return sum(1 for ch in text if not unicodedata.combining(ch) and (with_spaces or not ch.isspace()))


@settings(max_examples=300, deadline=None)
@given(text=TEXT, chunk=st.integers(min_value=1, max_value=40))
def test_counting_in_pieces_matches_counting_at_once(text, chunk):
    saved = counts.CHUNK_CHARS
    counts.CHUNK_CHARS = chunk
    try:
        assert count_words(text) == reference_words(text)
        assert count_characters(text) == reference_characters(text)
        assert count_characters(text, with_spaces=True) == reference_characters(text, with_spaces=True)
    finally:
        counts.CHUNK_CHARS = saved


def test_real_novels_count_the_same():
    for name, encoding in (("pride-and-prejudice.txt", "utf-8-sig"), ("hongloumeng-ch1-10.txt", "utf-8")):
        text = (FIXTURES / name).read_text(encoding=encoding) * 4
        assert len(text) > 4 * counts.CHUNK_CHARS
        assert count_words(text) == reference_words(text)
        assert count_characters(text) == reference_characters(text)


def test_long_texts_are_counted_in_bounded_pieces_that_cover_them():
    text = ("It is a truth universally acknowledged. " * 20_000) + "漢" * 300_000
    pieces = list(counts._pieces(text))
    assert "".join(pieces) == text
    # Whitespace-separated text comes in bounded pieces; a run with no whitespace stays whole.
    assert all(len(p) <= counts.CHUNK_CHARS + 64 for p in pieces[:-1]) and len(pieces) > 10
